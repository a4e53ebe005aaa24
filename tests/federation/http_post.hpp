// A tiny blocking HTTP POST over a plain socket, for the router's test-only
// admin endpoint (the shared support library only offers GET).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace clasp::fedtest {

struct post_result {
  int status = 0;  // 0 when the request failed; see `error`
  std::string body;
  std::string error;
};

// POST http://127.0.0.1:PORT/PATH with an empty body, bounded by `timeout`.
post_result http_post(std::uint16_t port, const std::string& path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace clasp::fedtest
