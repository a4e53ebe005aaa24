// Settings of one router process as the actors need them (the CLI builds it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clasp::actors {

// mesh: a node that connects to every URL in `peers` and accepts inbound peers.
enum class federation_mode { off, hub, leaf, mesh };

struct federation_settings {
  federation_mode mode = federation_mode::off;
  std::string router_id;                     // default: random UUID v4
  std::vector<std::string> owned_namespaces;  // leaf: what it is authoritative for
  std::vector<std::string> hub_endpoints;     // leaf: ws:// or wss:// URLs it connects to
  std::vector<std::string> peers;             // mesh: ws:// or wss:// URLs of neighbours it connects to
  std::string auth_token;                     // empty = none
  bool auto_reconnect = true;
  std::uint32_t reconnect_delay_ms = 5000;
  std::uint32_t reconnect_max_delay_ms = 60000;  // backoff cap
  std::uint32_t max_reconnect_attempts = 0;      // 0 = unlimited
  std::uint32_t sync_interval_ms = 30000;
  // How long an inbound peer has to answer a PING when a newcomer declares its
  // router id: answered, the newcomer is refused; silent, the newcomer replaces it.
  std::uint32_t identity_probe_ms = 750;
  std::string client_name = "clasp-federation";
  std::uint8_t features = 0x80 | 0x40 | 0x20 | 0x04;  // param, event, stream, federation
  // Outbound wss:// links verify the peer's certificate and host name against
  // the system store, or against `tls_ca_file` when set; `tls_insecure` skips it (labs).
  std::string tls_ca_file;
  // When this router's namespaces were claimed (wall clock µs, set at start):
  // of two overlapping claims that meet, the older wins everywhere.
  std::uint64_t claim_us = 0;
  bool tls_insecure = false;
};

// The URLs a router opens links to itself: a leaf's hubs, a mesh node's peers.
inline const std::vector<std::string>& outbound_endpoints(const federation_settings& fed) {
  static const std::vector<std::string> none;
  if (fed.mode == federation_mode::mesh) return fed.peers;
  if (fed.mode == federation_mode::leaf) return fed.hub_endpoints;
  return none;
}

struct node_config {
  std::string server_name = "clasp-federation";
  std::uint8_t features = 0x80 | 0x40 | 0x20 | 0x10 | 0x08;  // what WELCOME advertises
  federation_settings federation;
  std::size_t max_subscriptions = 1000;
  bool test_admin = false;  // enables POST /admin/* fault-injection endpoints
  std::uint32_t tombstone_retention_s = 86400;  // how long removals are remembered for resyncs
};

}  // namespace clasp::actors
