// Outbound WebSocket: resolve, connect, optional TLS, HTTP upgrade, then hand
// over a client-role connection. One connect_attempt object per call.
#include "transport/connector.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context_strand.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <optional>

#include "transport/ws_connection.hpp"
#include "transport/ws_handshake.hpp"
#include "transport/ws_url.hpp"

namespace clasp::transport {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;

tcp_socket& socket_of(tcp_socket& s) { return s; }
tcp_socket& socket_of(tls_stream& s) { return s.next_layer(); }

// Loads what a client TLS context trusts; returns an error text, empty on success.
std::string configure_trust(asio::ssl::context& context, const connect_options& options) {
  if (!options.verify_tls_peer) {
    context.set_verify_mode(asio::ssl::verify_none);
    return {};
  }
  error_code ec;
  if (options.tls_ca_file.empty())
    context.set_default_verify_paths(ec);
  else
    context.load_verify_file(options.tls_ca_file, ec);
  if (ec)
    return options.tls_ca_file.empty()
               ? "cannot load the system certificate store: " + ec.message()
               : "cannot load CA file '" + options.tls_ca_file + "': " + ec.message();
  context.set_verify_mode(asio::ssl::verify_peer);
  return {};
}

// Sets SNI and the name (or IP address) the peer's certificate must carry.
// OpenSSL checks it during the handshake, so a mismatch fails it with a clear reason.
std::string configure_host(tls_stream& stream, const std::string& host, bool verify) {
  error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  const bool host_is_ip = !ec;
  SSL* ssl = stream.native_handle();
  if (!host_is_ip)  // SNI carries names only, never IP addresses
    SSL_set_tlsext_host_name(ssl, host.c_str());
  if (!verify) return {};
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str())
                             : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  if (set != 1) return "cannot check the certificate against host '" + host + "'";
  return {};
}

template <class Stream>
class connect_attempt : public std::enable_shared_from_this<connect_attempt<Stream>> {
 public:
  connect_attempt(io_runtime::impl& runtime, std::string url, ws_url where,
                  const connect_options& options, connect_handler done)
      : runtime_(runtime),
        url_(std::move(url)),
        where_(std::move(where)),
        options_(options),
        done_(std::move(done)),
        strand_(runtime.io),
        resolver_(runtime.io),
        timer_(runtime.io) {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      setup_error_ = configure_trust(*tls_, options);
      stream_ = std::make_unique<tls_stream>(runtime.io, *tls_);
      if (setup_error_.empty())
        setup_error_ = configure_host(*stream_, where_.host, options.verify_tls_peer);
    } else {
      stream_ = std::make_unique<tcp_socket>(runtime.io);
    }
  }

  void run() {
    auto self = this->shared_from_this();
    if (!setup_error_.empty()) {
      asio::post(strand_, [self] { self->fail(self->setup_error_); });
      return;
    }
    timer_.expires_after(options_.timeout);
    timer_.async_wait(asio::bind_executor(strand_, [self](error_code ec) {
      if (!ec)
        self->fail("timeout after " + std::to_string(self->options_.timeout.count()) + " ms");
    }));
    resolver_.async_resolve(
        where_.host, std::to_string(where_.port),
        asio::bind_executor(strand_, [self](error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->fail("cannot resolve " + self->where_.host + ": " + ec.message());
          self->do_connect(results);
        }));
  }

 private:
  void do_connect(const tcp::resolver::results_type& results) {
    if (finished_) return;
    asio::async_connect(socket_of(*stream_), results,
                        asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                         error_code ec, const tcp::endpoint&) {
                          if (ec) return self->fail(ec.message());
                          error_code ignored;
                          socket_of(*self->stream_).set_option(tcp::no_delay(true), ignored);
                          self->do_tls();
                        }));
  }

  void do_tls() {
    if (finished_) return;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      stream_->async_handshake(
          asio::ssl::stream_base::client,
          asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
            if (ec) return self->fail("TLS handshake: " + self->tls_failure(ec));
            self->do_upgrade();
          }));
    } else {
      do_upgrade();
    }
  }

  // Names the verification failure ("hostname mismatch", "unable to get local
  // issuer certificate", ...) instead of OpenSSL's generic "certificate verify failed".
  std::string tls_failure(const error_code& ec) {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      const long result = SSL_get_verify_result(stream_->native_handle());
      if (options_.verify_tls_peer && result != X509_V_OK)
        return std::string("certificate of ") + where_.host +
               " not trusted: " + X509_verify_cert_error_string(result);
    }
    return ec.message();
  }

  void do_upgrade() {
    if (finished_) return;
    key_ = ws_random_key();
    request_ = "GET " + where_.target + " HTTP/1.1\r\nHost: " + where_.host_header +
               "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
               "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: clasp\r\n"
               "User-Agent: clasp-federation\r\n\r\n";
    asio::async_write(*stream_, asio::buffer(request_),
                      asio::bind_executor(
                          strand_, [self = this->shared_from_this()](error_code ec, std::size_t n) {
                            traffic_counters::add(self->runtime_.traffic.bytes_sent, n);
                            if (ec) return self->fail("sending upgrade: " + ec.message());
                            self->read_reply();
                          }));
  }

  void read_reply() {
    if (finished_) return;
    parser_.emplace();
    parser_->body_limit(64 * 1024);
    http::async_read(*stream_, buffer_, *parser_,
                     asio::bind_executor(
                         strand_, [self = this->shared_from_this()](error_code ec, std::size_t n) {
                           traffic_counters::add(self->runtime_.traffic.bytes_received, n);
                           self->on_reply(ec);
                         }));
  }

  void on_reply(error_code ec) {
    if (finished_) return;
    if (ec) return fail("reading upgrade reply: " + ec.message());
    auto& reply = parser_->get();
    if (reply.result_int() != 101)
      return fail("upgrade refused: HTTP " + std::to_string(reply.result_int()));
    if (reply[http::field::sec_websocket_accept] != ws_accept_key(key_))
      return fail("upgrade refused: bad Sec-WebSocket-Accept");
    const auto protocol = reply[http::field::sec_websocket_protocol];
    if (!protocol.empty() && protocol != "clasp")
      return fail("upgrade refused: subprotocol " + std::string(protocol));
    finished_ = true;
    timer_.cancel();
    std::string already_read = boost::beast::buffers_to_string(buffer_.data());
    traffic_counters::add(runtime_.traffic.bytes_received, already_read.size());
    connection_ptr connection;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      connection = make_ws_connection(runtime_, std::move(stream_), tls_, ws_role::client,
                                      options_.limits, std::move(already_read));
    } else {
      connection = make_ws_connection(runtime_, std::move(stream_), ws_role::client,
                                      options_.limits, std::move(already_read));
    }
    auto done = std::move(done_);
    done({}, std::move(connection));
  }

  void fail(const std::string& why) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    resolver_.cancel();
    error_code ec;
    socket_of(*stream_).close(ec);
    auto done = std::move(done_);
    done("connect to " + url_ + ": " + why, nullptr);
  }

  io_runtime::impl& runtime_;
  const std::string url_;
  const ws_url where_;
  const connect_options options_;
  connect_handler done_;
  asio::io_context::strand strand_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::unique_ptr<Stream> stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::string key_;
  std::string request_;
  std::string setup_error_;  // the TLS settings could not be applied; reported by run()
  bool finished_ = false;
};

}  // namespace

void connect(io_runtime& io, const std::string& url, const connect_options& options,
             connect_handler done) {
  auto& runtime = io.internals();
  auto where = parse_ws_url(url);
  if (!where) {
    asio::post(runtime.io, [done = std::move(done), url] {
      done("connect to " + url + ": not a ws:// or wss:// URL", nullptr);
    });
    return;
  }
  if (where->tls)
    std::make_shared<connect_attempt<tls_stream>>(runtime, url, *where, options, std::move(done))
        ->run();
  else
    std::make_shared<connect_attempt<tcp_socket>>(runtime, url, *where, options, std::move(done))
        ->run();
}

}  // namespace clasp::transport
