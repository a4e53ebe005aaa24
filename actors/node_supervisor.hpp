// The root of the actor tree: it monitors every long-lived actor of a router
// and applies each one's restart policy (docs/architecture.md, "Supervision"):
// the federation manager (namespace registry) and the reconnect supervisor
// are restarted, links and sessions redeclare and resync; the state store and
// the persistence actor cannot be restarted safely, so the process exits
// non-zero at once. It also carries out POST /admin/kill.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/node_config.hpp"
#include "actors/router/router_interfaces.hpp"
#include "transport/io_runtime.hpp"

namespace clasp::actors {

struct known_peers_book;  // actors/federation/federation_manager_actor.hpp

// The current handles, for code outside the actors (HTTP endpoints, accepting
// sockets): they change when an actor is restarted.
struct node_handles {
  mutable std::mutex mutex;
  state_store_actor store;
  persistence_actor persistence;
  federation_manager_actor manager;
  reconnect_supervisor_actor supervisor;
  struct snapshot {
    state_store_actor store;
    persistence_actor persistence;
    federation_manager_actor manager;
    reconnect_supervisor_actor supervisor;
  };
  snapshot get() const {
    std::lock_guard<std::mutex> lock(mutex);
    return {store, persistence, manager, supervisor};
  }
};

struct node_supervisor_config {
  std::shared_ptr<const node_config> node;
  transport::io_runtime* io = nullptr;
  // What the registry knows, for a restarted one (the manager keeps it current).
  std::shared_ptr<known_peers_book> known_peers;
  // Kills client sessions for /admin/kill?actor=session on a router without
  // federation peers; answers how many.
  std::function<std::uint32_t()> kill_client_sessions;
};

using node_supervisor_actor =
    caf::typed_actor<caf::replies_to<kill_atom, std::string, std::string>::with<std::string>,
                     caf::reacts_to<shutdown_atom>>;

// Starts watching what `handles` holds (already spawned).
node_supervisor_actor spawn_node_supervisor(caf::actor_system& sys, node_supervisor_config config,
                                            std::shared_ptr<node_handles> handles);

}  // namespace clasp::actors
