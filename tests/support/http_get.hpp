// Plain HTTP GET against a local router (health and status endpoints).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace clasp::test {

struct http_response {
  int status = 0;  // 0 when the request failed; see `error`
  std::string body;
  std::string content_type;
  std::string error;
};

// GET http://127.0.0.1:PORT/PATH with a bounded wait.
http_response http_get(std::uint16_t port, const std::string& path,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The same with extra request headers (e.g. a WebSocket upgrade the router refuses).
http_response http_get(std::uint16_t port, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace clasp::test
