// Private to transport/: one accepted socket until it is either upgraded to a
// WebSocket connection (handed to accept_handler) or answered as plain HTTP.
#pragma once

#include <memory>

#include "transport/server.hpp"
#include "transport/ws_connection.hpp"

namespace clasp::transport {

struct session_settings {
  accept_handler on_accept;
  http_handler on_http;
  outbound_limits limits;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain TCP
};

void start_http_session(io_runtime::impl& runtime, tcp_socket socket,
                        std::shared_ptr<const session_settings> settings);

}  // namespace clasp::transport
