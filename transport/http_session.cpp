// The HTTP side of an accepted socket: read one request with Beast's parser,
// then either do the WebSocket upgrade or answer it and close.
#include "transport/http_session.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context_strand.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>

#include "transport/ws_handshake.hpp"

namespace clasp::transport {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using error_code = boost::system::error_code;

constexpr std::chrono::seconds handshake_timeout{10};
constexpr std::uint32_t header_limit = 16 * 1024;
constexpr std::uint64_t body_limit = 64 * 1024;

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

tcp_socket& socket_of(tcp_socket& s) { return s; }
tcp_socket& socket_of(tls_stream& s) { return s.next_layer(); }

using response = http::response<http::string_body>;

// A complete reply after which the connection closes (Content-Length set by Beast).
response plain_reply(unsigned status, std::string_view content_type, std::string body) {
  response r;
  r.version(11);
  r.result(status >= 100 && status <= 999 ? status : 500u);  // keeps codes Beast has no name for
  r.set(http::field::content_type,
        boost::beast::string_view(content_type.data(), content_type.size()));
  r.keep_alive(false);
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
 public:
  http_session(io_runtime::impl& runtime, std::unique_ptr<Stream> stream,
               std::shared_ptr<const session_settings> settings)
      : runtime_(runtime),
        stream_(std::move(stream)),
        settings_(std::move(settings)),
        strand_(runtime.io),
        timer_(runtime.io) {}

  void run() {
    timer_.expires_after(handshake_timeout);
    timer_.async_wait(asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
      if (!ec) self->close_socket();
    }));
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      stream_->async_handshake(
          asio::ssl::stream_base::server,
          asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
            if (ec) return self->close_socket();
            self->do_read();
          }));
    } else {
      asio::post(strand_, [self = this->shared_from_this()] { self->do_read(); });
    }
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(body_limit);
    http::async_read(*stream_, buffer_, *parser_,
                     asio::bind_executor(
                         strand_, [self = this->shared_from_this()](error_code ec, std::size_t n) {
                           traffic_counters::add(self->runtime_.traffic.bytes_received, n);
                           self->on_read(ec);
                         }));
  }

  void on_read(error_code ec) {
    if (done_) return;
    if (ec) {
      // A parse error deserves a 400; a socket error or early EOF just a close.
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message)
        return write_and_close(plain_reply(400, "text/plain", "bad request\n"));
      return close_socket();
    }
    auto& request = parser_->get();
    if (header_has_token(view(request[http::field::upgrade]), "websocket")) return upgrade(request);

    if (!settings_->on_http) return write_and_close(plain_reply(404, "text/plain", "not found\n"));
    auto self = this->shared_from_this();
    auto reply = [self](http_response response) {
      asio::post(self->strand_, [self, response = std::move(response)]() mutable {
        self->write_and_close(plain_reply(static_cast<unsigned>(response.status),
                                          response.content_type, std::move(response.body)));
      });
    };
    try {
      settings_->on_http(std::string(request.method_string()), std::string(request.target()),
                         std::move(reply));
    } catch (const std::exception& e) {
      write_and_close(plain_reply(500, "text/plain", std::string(e.what()) + "\n"));
    }
  }

  void upgrade(http::request<http::string_body>& request) {
    const std::string key(request[http::field::sec_websocket_key]);
    if (request.method() != http::verb::get || key.empty() ||
        !header_has_token(view(request[http::field::connection]), "upgrade")) {
      traffic_counters::add(runtime_.traffic.upgrade_failures, 1);
      return write_and_close(plain_reply(400, "text/plain", "bad websocket upgrade\n"));
    }
    if (request[http::field::sec_websocket_version] != "13") {
      traffic_counters::add(runtime_.traffic.upgrade_failures, 1);
      auto refusal = plain_reply(426, "text/plain", "websocket version 13 only\n");
      refusal.set(http::field::sec_websocket_version, "13");
      return write_and_close(std::move(refusal));
    }
    // permessage-deflate is never echoed: frames stay uncompressed.
    reply_.emplace(http::status::switching_protocols, request.version());
    reply_->set(http::field::upgrade, "websocket");
    reply_->set(http::field::connection, "Upgrade");
    reply_->set(http::field::sec_websocket_accept, ws_accept_key(key));
    if (header_has_token(view(request[http::field::sec_websocket_protocol]), "clasp"))
      reply_->set(http::field::sec_websocket_protocol, "clasp");
    done_ = true;
    http::async_write(*stream_, *reply_,
                      asio::bind_executor(
                          strand_, [self = this->shared_from_this()](error_code ec, std::size_t n) {
                            traffic_counters::add(self->runtime_.traffic.bytes_sent, n);
                            self->on_upgraded(ec);
                          }));
  }

  void on_upgraded(error_code ec) {
    timer_.cancel();
    if (ec) {
      traffic_counters::add(runtime_.traffic.upgrade_failures, 1);
      return close_socket(true);
    }
    // Read with the request, past its end: the first frames, if the peer was quick.
    std::string already_read = boost::beast::buffers_to_string(buffer_.data());
    traffic_counters::add(runtime_.traffic.bytes_received, already_read.size());
    connection_ptr connection;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      connection = make_ws_connection(runtime_, std::move(stream_), settings_->tls,
                                      ws_role::server, settings_->limits, std::move(already_read));
    } else {
      connection = make_ws_connection(runtime_, std::move(stream_), ws_role::server,
                                      settings_->limits, std::move(already_read));
    }
    if (settings_->on_accept)
      settings_->on_accept(std::move(connection));
    else
      connection->abort();
  }

  void write_and_close(response reply) {
    if (done_ || !stream_) return;
    done_ = true;
    reply_ = std::move(reply);
    http::async_write(
        *stream_, *reply_,
        asio::bind_executor(strand_, [self = this->shared_from_this()](error_code, std::size_t n) {
          traffic_counters::add(self->runtime_.traffic.bytes_sent, n);
          self->close_socket(true);
        }));
  }

  void close_socket(bool force = false) {
    if (!stream_) return;  // handed over to the WebSocket connection
    if (done_ && !force) return;  // a write is in flight; it closes when done
    done_ = true;
    timer_.cancel();
    // Once: stream_ stays, and done_ keeps this from running again. Before the
    // close, so a peer that saw EOF also sees it counted.
    traffic_counters::add(runtime_.traffic.closed, 1);
    error_code ec;
    socket_of(*stream_).shutdown(asio::socket_base::shutdown_both, ec);
    socket_of(*stream_).close(ec);
  }

  io_runtime::impl& runtime_;
  std::unique_ptr<Stream> stream_;
  std::shared_ptr<const session_settings> settings_;
  asio::io_context::strand strand_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<response> reply_;  // kept alive until its write completes
  bool done_ = false;  // a reply or the upgrade is under way
};

}  // namespace

void start_http_session(io_runtime::impl& runtime, tcp_socket socket,
                        std::shared_ptr<const session_settings> settings) {
  error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  if (settings->tls) {
    auto stream = std::make_unique<tls_stream>(std::move(socket), *settings->tls);
    std::make_shared<http_session<tls_stream>>(runtime, std::move(stream), std::move(settings))->run();
  } else {
    auto stream = std::make_unique<tcp_socket>(std::move(socket));
    std::make_shared<http_session<tcp_socket>>(runtime, std::move(stream), std::move(settings))->run();
  }
}

}  // namespace clasp::transport
