// A one-shot HTTP GET to the host:port of a router's ws:// URL (the router
// serves HTTP on its WebSocket port), for `clasp status`.
#pragma once

#include <chrono>
#include <string>

namespace clasp::app {

struct http_result {
  int status = 0;  // 0: no answer; `error` says why
  std::string body;
  std::string error;
};

// `url` is ws://HOST:PORT[/...]; `path` replaces its path.
http_result http_get(const std::string& url, const std::string& path,
                     std::chrono::milliseconds timeout);

}  // namespace clasp::app
