// The listener: binds, accepts, and hands every socket to an http_session.
#include "transport/server.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context_strand.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include <stdexcept>

#include "transport/http_session.hpp"

namespace clasp::transport {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(io_runtime::impl& rt, std::shared_ptr<const session_settings> s)
      : runtime(rt), settings(std::move(s)), strand(rt.io), acceptor(rt.io) {}

  void do_accept() {
    acceptor.async_accept(asio::bind_executor(strand, [self = shared_from_this()](error_code ec,
                                                                                  tcp_socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        traffic_counters::add(self->runtime.traffic.accepted, 1);
        start_http_session(self->runtime, std::move(socket), self->settings);
      }
      // Other errors (e.g. too many open files) are per-socket: keep accepting.
      self->do_accept();
    }));
  }

  io_runtime::impl& runtime;
  std::shared_ptr<const session_settings> settings;
  asio::io_context::strand strand;  // the acceptor is touched by accepts and stop()
  asio::ip::tcp::acceptor acceptor;
  std::uint16_t port = 0;
};

namespace {

std::shared_ptr<asio::ssl::context> load_tls(const tls_files& files) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  error_code ec;
  context->use_certificate_chain_file(files.certificate_chain, ec);
  if (ec)
    throw std::runtime_error("cannot load TLS certificate chain " + files.certificate_chain + ": " +
                             ec.message());
  context->use_private_key_file(files.private_key, asio::ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("cannot load TLS private key " + files.private_key + ": " +
                             ec.message());
  return context;
}

}  // namespace

server::server(io_runtime& io, server_config config, accept_handler on_accept,
               http_handler on_http) {
  auto settings = std::make_shared<session_settings>();
  settings->on_accept = std::move(on_accept);
  settings->on_http = std::move(on_http);
  settings->limits = config.limits;
  if (config.tls) settings->tls = load_tls(*config.tls);

  impl_ = std::make_shared<impl>(io.internals(), std::move(settings));
  const std::string where = config.bind_address + ":" + std::to_string(config.port);
  error_code ec;
  const auto address = asio::ip::make_address(config.bind_address, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": bad address");
  const asio::ip::tcp::endpoint endpoint(address, config.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  impl_->port = acceptor.local_endpoint().port();
  asio::post(impl_->strand, [self = impl_] { self->do_accept(); });
}

server::~server() { stop(); }

std::uint16_t server::port() const { return impl_->port; }

void server::stop() {
  // The acceptor belongs to the I/O thread; close it there.
  asio::post(impl_->strand, [self = impl_] {
    error_code ec;
    self->acceptor.close(ec);
  });
}

}  // namespace clasp::transport
