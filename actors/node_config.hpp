// Settings of one router process as the actors need them (the CLI builds it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clasp::actors {

enum class federation_mode { off, hub, leaf };

struct federation_settings {
  federation_mode mode = federation_mode::off;
  std::string router_id;                     // default: random UUID v4
  std::vector<std::string> owned_namespaces;  // leaf: what it is authoritative for
  std::vector<std::string> hub_endpoints;     // leaf: ws:// or wss:// URLs it connects to
  std::string auth_token;                     // empty = none
  bool auto_reconnect = true;
  std::uint32_t reconnect_delay_ms = 5000;
  std::uint32_t reconnect_max_delay_ms = 60000;  // backoff cap
  std::uint32_t max_reconnect_attempts = 0;      // 0 = unlimited
  std::uint32_t sync_interval_ms = 30000;
  std::string client_name = "clasp-federation";
  std::uint8_t features = 0x80 | 0x40 | 0x20 | 0x04;  // param, event, stream, federation
};

struct node_config {
  std::string server_name = "clasp-federation";
  std::uint8_t features = 0x80 | 0x40 | 0x20 | 0x10 | 0x08;  // what WELCOME advertises
  federation_settings federation;
  std::size_t max_subscriptions = 1000;
  bool test_admin = false;  // enables POST /admin/* fault-injection endpoints
};

}  // namespace clasp::actors
