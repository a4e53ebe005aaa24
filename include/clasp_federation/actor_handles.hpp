// For hosts that speak CAF: the embedded router's actor system and typed actor
// handles. Valid while the node runs (null / nullptr once it stopped). Pulls in
// CAF headers and the router's actor interfaces; plain embedders need only node.hpp.
#pragma once

#include "actors/federation/federation_interfaces.hpp"
#include "actors/router/router_interfaces.hpp"
#include "clasp_federation/node.hpp"

namespace caf {
class actor_system;
}

namespace clasp_federation {

caf::actor_system* actor_system_of(const node& n);
clasp::actors::federation_manager_actor manager_of(const node& n);  // null when standalone
clasp::actors::state_store_actor store_of(const node& n);

// A thread of yours that spawned an actor or made a caf::scoped_actor in the
// node's system holds a reference CAF's shutdown waits for: call this on that
// thread when done (node::stop does it for the thread that calls it).
void release_caf_thread_state();

}  // namespace clasp_federation
