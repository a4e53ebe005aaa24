// The state store actor: owns the router_core (params, revisions, locks,
// subscriptions, fan-out) and its timers. One per router.
#pragma once

#include <chrono>
#include <memory>

#include "actors/router/router_core.hpp"
#include "actors/router/router_interfaces.hpp"
#include "actors/router/state_db.hpp"

namespace clasp::actors {

// `saved` (may be null) is loaded into the table before the first message;
// `persistence` (may be null) receives every change in batches, one batch per
// `persist_interval`.
state_store_actor spawn_state_store(caf::actor_system& sys, router::router_config config,
                                    std::shared_ptr<router::persisted_state> saved,
                                    persistence_actor persistence,
                                    std::chrono::milliseconds persist_interval = std::chrono::milliseconds(50));

}  // namespace clasp::actors
