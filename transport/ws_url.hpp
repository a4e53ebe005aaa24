// Splits ws:// and wss:// URLs into what the connector needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace clasp::transport {

struct ws_url {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
  std::string target = "/";  // path and query
  std::string host_header;   // as sent in Host:
};

// Empty on anything that is not a well-formed ws:// or wss:// URL.
std::optional<ws_url> parse_ws_url(const std::string& url);

}  // namespace clasp::transport
