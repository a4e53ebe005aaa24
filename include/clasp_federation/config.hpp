// Configuration of an embedded router, mirroring the seed's FederationConfig
// (same fields, same defaults) plus where the router listens.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace clasp_federation {

enum class federation_mode {
  standalone,  // no federation: a plain CLASP router
  hub,         // accepts federation peers, owns nothing, redistributes
  leaf,        // connects to `hub_endpoints`, owns `owned_namespaces`
  mesh,        // connects to `mesh_peers` and accepts inbound peers
};

struct federation_config {
  federation_mode mode = federation_mode::hub;
  std::string router_id;                             // empty: a random UUID v4
  std::vector<std::string> owned_namespaces{"/**"};  // leaf and mesh; a hub owns none
  std::vector<std::string> hub_endpoints;            // leaf: ws:// or wss:// URL of its hub
  std::vector<std::string> mesh_peers;               // mesh: ws:// or wss:// URLs of neighbours
  std::string auth_token;                            // empty: none
  bool auto_reconnect = true;
  std::chrono::milliseconds reconnect_delay{5000};  // first delay; doubles with jitter
  std::chrono::milliseconds max_reconnect_delay{60000};
  std::uint32_t max_reconnect_attempts = 0;        // 0 = unlimited, then Failed
  std::chrono::milliseconds sync_interval{30000};  // anti-entropy; at least 100 ms
  std::string client_name = "clasp-federation";    // name in an outbound link's HELLO
  // Advertised features: param, event, stream, gesture, timeline, federation.
  std::vector<std::string> features{"param", "event", "stream", "federation"};
};

struct node_config {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (node::port() tells which)
  federation_config federation;
  std::string state_db;            // SQLite file for durable state; empty: in memory
  std::string log_level = "warn";  // trace, debug, info, warn, error, critical, off
  unsigned io_threads = 1;
  unsigned actor_threads = 2;
};

}  // namespace clasp_federation
