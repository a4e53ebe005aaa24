// GET /status: who this router is and how its federation peers are doing, in
// one JSON document for `clasp status` and for monitoring.
#pragma once

#include <functional>
#include <string>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/node_config.hpp"
#include "actors/router/router_interfaces.hpp"
#include "transport/server.hpp"

namespace caf {
class actor_system;
}

namespace clasp::app {

// {"router_id", "mode", "namespaces", "uptime_s", "version", "peers"}; `peers_json` is
// the array GET /federation/peers returns (app/peer_table.hpp). Throws nlohmann::json::parse_error
// on bad peers.
std::string status_json(const actors::node_config& node, const std::string& mode, double uptime_s,
                        const std::string& peers_json);

// Answers GET /status (asks `manager` for the peers, none when it is null, and
// `store` for their links' traffic).
void serve_status(caf::actor_system& sys, const actors::federation_manager_actor& manager,
                  const actors::state_store_actor& store, const actors::node_config& node,
                  const std::string& mode, std::function<void(transport::http_response)> reply);

}  // namespace clasp::app
