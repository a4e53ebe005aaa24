// Listens on one TCP port for WebSocket (subprotocol "clasp") and plain HTTP
// requests on the same port, optionally over TLS.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "transport/connection.hpp"
#include "transport/io_runtime.hpp"

namespace clasp::transport {

struct tls_files {
  std::string certificate_chain;  // PEM
  std::string private_key;        // PEM
};

struct server_config {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 7330;  // 0 = pick a free port; see server::port()
  std::optional<tls_files> tls;
  outbound_limits limits;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Called for each accepted WebSocket connection (handshake done, not reading yet).
using accept_handler = std::function<void(connection_ptr)>;
// Called for each plain HTTP request; `reply` may be called later, from any thread.
using http_handler = std::function<void(const std::string& method, const std::string& target,
                                        std::function<void(http_response)> reply)>;

class server {
 public:
  // Binds and starts accepting. Throws std::runtime_error with a clear message
  // if the address cannot be bound.
  server(io_runtime& io, server_config config, accept_handler on_accept, http_handler on_http);
  ~server();
  std::uint16_t port() const;  // the bound port (useful with port 0)
  void stop();                 // stop accepting; existing connections stay

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace clasp::transport
