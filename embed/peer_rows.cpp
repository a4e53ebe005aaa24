// Reads peer rows defensively: a missing or mistyped field becomes its default.
#include "embed/peer_rows.hpp"

#include <nlohmann/json.hpp>

namespace clasp_federation::detail {

namespace {

template <class T>
T field(const nlohmann::json& row, const char* name, T fallback) {
  auto it = row.find(name);
  if (it == row.end()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

}  // namespace

peer_summary peer_from_row(const nlohmann::json& row) {
  peer_summary p;
  if (!row.is_object()) return p;
  p.router_id = field(row, "router_id", std::string{});
  p.state = field(row, "state", std::string{});
  p.namespaces = field(row, "namespaces", std::vector<std::string>{});
  p.outbound = field(row, "outbound", false);
  p.endpoint = field(row, "endpoint", std::string{});
  p.reconnect_attempts = field(row, "reconnect_attempts", std::uint32_t{0});
  p.last_error = field(row, "last_error", std::string{});
  return p;
}

std::string peer_key(const peer_summary& peer) {
  // An outbound link keeps its endpoint while its router id is learnt in the handshake.
  if (peer.outbound && !peer.endpoint.empty()) return "out:" + peer.endpoint;
  return "id:" + peer.router_id;
}

}  // namespace clasp_federation::detail
