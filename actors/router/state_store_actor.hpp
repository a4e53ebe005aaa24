// The state store actor: owns the router_core (params, revisions, locks,
// subscriptions, fan-out) and its timers. One per router.
#pragma once

#include <caf/fwd.hpp>

#include "actors/router/router_core.hpp"

namespace clasp::actors {

caf::actor spawn_state_store(caf::actor_system& sys, router::router_config config);

}  // namespace clasp::actors
