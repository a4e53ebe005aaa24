// HTTP/1.1 GET with Beast on a private io_context, run with a deadline.
#include "tests/support/http_get.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace clasp::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

http_response http_get(std::uint16_t port, const std::string& path,
                       std::chrono::milliseconds timeout) {
  return http_get(port, path, {}, timeout);
}

http_response http_get(std::uint16_t port, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout) {
  http_response out;
  net::io_context ioc{1};
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, path, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "clasp-wire-test");
  for (const auto& [name, value] : headers) req.set(name, value);
  http::response<http::string_body> res;
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);

  // connect -> write -> read, all under one deadline enforced by tcp_stream.
  stream.expires_after(timeout);
  stream.async_connect(endpoint, [&](beast::error_code ec) {
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
        out.content_type = std::string(res[http::field::content_type]);
      });
    });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace clasp::test
