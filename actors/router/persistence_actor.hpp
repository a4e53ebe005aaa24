// The persistence actor: owns the SQLite state_db and commits the batches of
// changed params and watermarks the state store hands it, so disk writes never
// run on the store's thread.
#pragma once

#include <memory>

#include "actors/router/router_interfaces.hpp"

namespace clasp::router {
class state_db;
}

namespace clasp::actors {

persistence_actor spawn_persistence(caf::actor_system& sys, std::shared_ptr<router::state_db> db);

}  // namespace clasp::actors
