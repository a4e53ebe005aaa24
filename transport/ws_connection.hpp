// Private to transport/: builds the connection implementation (hand-framed
// RFC 6455 over a TCP socket or a TLS stream) once the handshake is done.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

#include "transport/connection.hpp"
#include "transport/io_runtime_impl.hpp"
#include "transport/ws_frame.hpp"

namespace clasp::transport {

using tcp_socket = boost::asio::ip::tcp::socket;
using tls_stream = boost::asio::ssl::stream<tcp_socket>;

constexpr std::size_t max_ws_message_bytes = 1 << 20;

// `already_read`: bytes read past the HTTP handshake (the first frames, if the
// peer was quick). The TLS context is kept alive as long as the stream.
connection_ptr make_ws_connection(io_runtime::impl& runtime, std::unique_ptr<tcp_socket> socket,
                                  ws_role role, const outbound_limits& limits,
                                  std::string already_read);
connection_ptr make_ws_connection(io_runtime::impl& runtime, std::unique_ptr<tls_stream> stream,
                                  std::shared_ptr<boost::asio::ssl::context> tls_context,
                                  ws_role role, const outbound_limits& limits,
                                  std::string already_read);

}  // namespace clasp::transport
