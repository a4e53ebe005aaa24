// GET /metrics: asks the store, the federation manager and the persistence
// actor for their snapshots and answers them in Prometheus text format.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/router/router_interfaces.hpp"
#include "transport/server.hpp"

namespace caf {
class actor_system;
}

namespace clasp::app {

struct metrics_sources {
  actors::state_store_actor store;
  actors::federation_manager_actor manager;  // may be null (federation off)
  actors::persistence_actor persistence;     // may be null (no --state-db)
  std::string router_id;
  std::string mode;
  const transport::io_runtime* io = nullptr;  // the sockets' runtime (its traffic totals)
  std::chrono::milliseconds timeout{3000};    // per source
};

// Replies once, from any thread: 200 with the metrics, or 503 naming the
// source that did not answer in time.
void serve_metrics(caf::actor_system& sys, metrics_sources sources,
                   std::function<void(transport::http_response)> reply);

}  // namespace clasp::app
