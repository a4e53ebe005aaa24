// The status document: fixed facts from the node's configuration, uptime
// since process start, and the manager's live peer table.
#include "app/status_endpoint.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "app/peer_table.hpp"
#include "app/version.hpp"

namespace clasp::app {

namespace {

// Taken during static initialisation, i.e. when the process started.
const auto process_start = std::chrono::steady_clock::now();

double uptime_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - process_start).count();
}

transport::http_response error_reply(const std::string& why) {
  return {503, "application/json", nlohmann::json{{"error", why}}.dump()};
}

}  // namespace

std::string status_json(const actors::node_config& node, const std::string& mode, double uptime_s,
                        const std::string& peers_json) {
  nlohmann::ordered_json doc;
  doc["router_id"] = node.federation.router_id;
  doc["mode"] = mode;
  doc["namespaces"] = node.federation.owned_namespaces;
  doc["uptime_s"] = static_cast<std::uint64_t>(uptime_s);
  doc["version"] = clasp_version;
  doc["peers"] = nlohmann::json::parse(peers_json);
  return doc.dump();
}

void serve_status(caf::actor_system& sys, const actors::federation_manager_actor& manager,
                  const actors::state_store_actor& store, const actors::node_config& node,
                  const std::string& mode, std::function<void(transport::http_response)> reply) {
  gather_peer_table(
      sys, manager, store, 3000, [node, mode, reply](std::string peers, std::string error) {
        if (!error.empty()) return reply(error_reply(error));
        try {
          reply({200, "application/json", status_json(node, mode, uptime_seconds(), peers)});
        } catch (const std::exception& e) {
          reply(error_reply(std::string("peer table unreadable: ") + e.what()));
        }
      });
}

}  // namespace clasp::app
