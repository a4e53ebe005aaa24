// One actor per accepted connection: the CLASP handshake, decoding, per-session
// rules (HELLO first, federation-peer rights, token), then hands operations to
// the state store in order. Killing it closes its socket and frees its state.
#pragma once

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
};

// Spawns the session actor and starts reading from `conn`.
session_actor spawn_session(caf::actor_system& sys, const session_deps& deps,
                            transport::connection_ptr conn);

}  // namespace clasp::actors
