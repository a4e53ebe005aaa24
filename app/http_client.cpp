// Beast HTTP/1.1 on a private io_context: resolve, connect, (TLS handshake),
// write, read, all under one deadline. wss:// URLs get https, with the
// certificate unchecked like the client commands' wss:// (lab certificates).
#include "app/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "transport/ws_url.hpp"

namespace clasp::app {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// After the connection (and handshake) is up: the request and its answer.
template <class Stream>
void exchange(Stream& stream, const http::request<http::empty_body>& req,
              beast::flat_buffer& buffer, http::response<http::string_body>& res,
              http_result& out) {
  http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
    if (ec) {
      out.error = "write: " + ec.message();
      return;
    }
    http::async_read(stream, buffer, res, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        out.error = "read: " + ec.message();
        return;
      }
      out.status = static_cast<int>(res.result_int());
      out.body = res.body();
    });
  });
}

}  // namespace

http_result http_get(const std::string& url, const std::string& path,
                     std::chrono::milliseconds timeout) {
  http_result out;
  auto where = transport::parse_ws_url(url);
  if (!where) {
    out.error = "not a ws:// or wss:// URL: '" + url + "'";
    return out;
  }
  net::io_context ioc{1};
  ssl::context tls_context{ssl::context::tls_client};
  tls_context.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, tls_context);
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp::resolver resolver(ioc);
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, where->host_header);
  req.set(http::field::user_agent, "clasp-cli");
  http::response<http::string_body> res;
  if (where->tls) SSL_set_tlsext_host_name(stream.native_handle(), where->host.c_str());

  tcp_layer.expires_after(timeout);
  resolver.async_resolve(
      where->host, std::to_string(where->port),
      [&](beast::error_code ec, tcp::resolver::results_type endpoints) {
        if (ec) {
          out.error = "resolve " + where->host + ": " + ec.message();
          return;
        }
        tcp_layer.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
          if (ec) {
            out.error = "connect: " + ec.message();
            return;
          }
          if (!where->tls) {
            exchange(tcp_layer, req, buffer, res, out);
            return;
          }
          stream.async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
            if (ec) {
              out.error = "TLS handshake: " + ec.message();
              return;
            }
            exchange(stream, req, buffer, res, out);
          });
        });
      });
  ioc.run();
  beast::error_code ignored;
  tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace clasp::app
