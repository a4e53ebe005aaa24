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
  bool verify_tls_peer = false;  // wss:// certificate check (off: lab certificates are self-signed)
  outbound_limits limits;
};

// Exactly one of (error non-empty) or (connection non-null) is set.
using connect_handler = std::function<void(std::string error, connection_ptr connection)>;

// Asynchronous: `done` is called on the I/O thread.
void connect(io_runtime& io, const std::string& url, const connect_options& options,
             connect_handler done);

}  // namespace clasp::transport
