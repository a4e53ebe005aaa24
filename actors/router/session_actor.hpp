// One actor per accepted connection: the CLASP handshake (HELLO first, the
// federation token for peers), then a client's operations to the state store
// in order. A federation peer's connection is handed to an inbound peer link
// (actors/federation/peer_link_actor.hpp) right after WELCOME. Killing a
// session closes its socket and frees its state.
#pragma once

#include <functional>
#include <memory>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/node_config.hpp"
#include "actors/router/router_interfaces.hpp"
#include "transport/connection.hpp"

namespace clasp::actors {

struct session_deps {
  state_store_actor store;
  federation_manager_actor manager;  // null when federation is off
  std::shared_ptr<const node_config> config;
  // Told about each peer link a session hands its connection to (so the
  // router can end them at shutdown); may be empty.
  std::function<void(const peer_link_actor&)> on_peer_link;
};

// Spawns the session actor and starts reading from `conn`.
session_actor spawn_session(caf::actor_system& sys, const session_deps& deps,
                            transport::connection_ptr conn);

}  // namespace clasp::actors
