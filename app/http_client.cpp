// Beast HTTP/1.1 on a private io_context, connect + write + read under one deadline.
#include "app/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "transport/ws_url.hpp"

namespace clasp::app {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

http_result http_get(const std::string& url, const std::string& path,
                     std::chrono::milliseconds timeout) {
  http_result out;
  auto where = transport::parse_ws_url(url);
  if (!where) {
    out.error = "not a ws:// URL: '" + url + "'";
    return out;
  }
  if (where->tls) {
    out.error = "wss:// is not supported by this command yet; use the router's ws:// port";
    return out;
  }
  net::io_context ioc{1};
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, where->host_header);
  req.set(http::field::user_agent, "clasp-cli");
  http::response<http::string_body> res;
  stream.expires_after(timeout);
  resolver.async_resolve(
      where->host, std::to_string(where->port),
      [&](beast::error_code ec, tcp::resolver::results_type endpoints) {
        if (ec) {
          out.error = "resolve " + where->host + ": " + ec.message();
          return;
        }
        stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
          if (ec) {
            out.error = "connect: " + ec.message();
            return;
          }
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
        });
      });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace clasp::app
