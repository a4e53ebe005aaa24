// Opens outbound WebSocket connections (ws:// and wss://) with subprotocol "clasp".
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "transport/connection.hpp"
#include "transport/io_runtime.hpp"

namespace clasp::transport {

struct connect_options {
  std::chrono::milliseconds timeout{5000};
  // wss:// checks the peer's certificate chain and host name (or IP address)
  // against the system store, or only against `tls_ca_file` (PEM) when set.
  // Off only for labs: then anyone on the path can read and replay the token.
  bool verify_tls_peer = true;
  std::string tls_ca_file;
  outbound_limits limits;
};

// Exactly one of (error non-empty) or (connection non-null) is set.
using connect_handler = std::function<void(std::string error, connection_ptr connection)>;

// Asynchronous: `done` is called on the I/O thread.
void connect(io_runtime& io, const std::string& url, const connect_options& options,
             connect_handler done);

}  // namespace clasp::transport
