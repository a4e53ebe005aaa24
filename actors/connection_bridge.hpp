// Connects a transport connection to an actor: whatever the socket side reads
// or notices becomes a message in the actor's mailbox.
#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "transport/connection.hpp"

namespace clasp::actors {

std::shared_ptr<transport::connection_handler> make_connection_bridge(caf::actor target);

// Process-wide unique ids for sessions and links (never 0).
std::uint64_t next_session_id();
// The session id a client sees in WELCOME.
std::string session_name(std::uint64_t id);

}  // namespace clasp::actors
