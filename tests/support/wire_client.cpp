// Beast side of the test client: one async read always pending, writes awaited
// one at a time, and the I/O context run on the caller's thread until a
// condition holds or a deadline passes (no sleeps, no background threads).
#include "tests/support/wire_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <sstream>

namespace clasp::test {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

// Runs `ioc` until `done()` or `deadline`; false if the deadline won.
bool pump_until(net::io_context& ioc, const std::function<bool()>& done,
                clock_type::time_point deadline) {
  for (;;) {
    if (done()) return true;
    if (clock_type::now() >= deadline) return false;
    if (ioc.stopped()) ioc.restart();
    std::size_t ran = ioc.run_one_until(deadline);
    if (ran == 0 && ioc.stopped()) return done();  // no work left: nothing can change
  }
}

struct parsed_url {
  std::string host;
  std::string port;
  std::string target;
};

std::optional<parsed_url> parse_ws_url(const std::string& url) {
  const std::string scheme = "ws://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  parsed_url out;
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = authority.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  out.host = authority.substr(0, colon);
  out.port = authority.substr(colon + 1);
  if (out.host.empty() || out.port.empty()) return std::nullopt;
  return out;
}

std::string hex_prefix(std::string_view bytes, std::size_t max = 32) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out += digits[b >> 4];
    out += digits[b & 15];
    out += ' ';
  }
  if (bytes.size() > max) out += "...";
  return out;
}

// Completion of one awaited operation; shared with its handler so a handler
// that runs after we gave up never touches a dead stack frame.
struct op_result {
  bool done = false;
  beast::error_code ec;
};

}  // namespace

struct wire_context::impl {
  net::io_context ioc{1};
};

wire_context::wire_context() : impl_(std::make_unique<impl>()) {}
wire_context::~wire_context() = default;

void wire_context::run_for(millis d) {
  auto& ioc = impl_->ioc;
  const auto deadline = clock_type::now() + d;
  while (clock_type::now() < deadline) {
    if (ioc.stopped()) ioc.restart();
    if (ioc.run_one_until(deadline) == 0 && ioc.stopped()) return;
  }
}

void wire_context::poll() {
  auto& ioc = impl_->ioc;
  if (ioc.stopped()) ioc.restart();
  ioc.poll();
}

struct wire_client::impl : std::enable_shared_from_this<wire_client::impl> {
  std::unique_ptr<net::io_context> own_ioc;  // declared first: destroyed last
  net::io_context& ioc;
  websocket::stream<tcp::socket> ws;
  beast::flat_buffer read_buffer;
  std::deque<std::string> inbox;  // raw frames, decoded when taken
  bool connected = false;
  bool reading = false;
  bool writing = false;
  bool closed = false;
  bool close_frame = false;
  int receive_buffer = 0;
  std::string last_error;

  explicit impl(std::unique_ptr<net::io_context> own)
      : own_ioc(std::move(own)), ioc(*own_ioc), ws(ioc) {}
  explicit impl(net::io_context& shared) : ioc(shared), ws(ioc) {}

  bool pump(const std::function<bool()>& done, clock_type::time_point deadline) {
    return pump_until(ioc, done, deadline);
  }

  void start_read() {
    reading = true;
    ws.async_read(read_buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->reading = false;
      if (ec) {
        self->closed = true;
        // reason() is set when a close frame was read, even if our reply to it
        // then failed because the server had already gone.
        if (ec == websocket::error::closed ||
            self->ws.reason().code != websocket::close_code::none) {
          self->close_frame = true;
        }
        if (self->last_error.empty()) self->last_error = "read: " + ec.message();
        return;
      }
      self->inbox.emplace_back(beast::buffers_to_string(self->read_buffer.data()));
      self->read_buffer.consume(self->read_buffer.size());
      self->start_read();
    });
  }

  void abort_socket() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws).close(ignored);
  }

  // Waits for our pending handlers so none runs after we are gone.
  void settle(millis timeout) {
    pump([this] { return !reading && !writing; }, clock_type::now() + timeout);
  }
};

wire_client::wire_client() : impl_(std::make_shared<impl>(std::make_unique<net::io_context>(1))) {}

wire_client::wire_client(wire_context& ctx) : impl_(std::make_shared<impl>(ctx.get().ioc)) {}

wire_client::~wire_client() {
  if (impl_->connected) {
    impl_->abort_socket();
    impl_->settle(millis(2000));
  }
}

void wire_client::set_receive_buffer(int bytes) { impl_->receive_buffer = bytes; }

const std::string& wire_client::last_error() const { return impl_->last_error; }

bool wire_client::connect(std::uint16_t port, millis timeout) {
  return connect("ws://127.0.0.1:" + std::to_string(port) + "/", timeout);
}

bool wire_client::connect(const std::string& url, millis timeout) {
  auto& s = *impl_;
  s.last_error.clear();
  auto parts = parse_ws_url(url);
  if (!parts) {
    s.last_error = "not a ws:// URL with a port: " + url;
    return false;
  }
  const auto deadline = clock_type::now() + timeout;
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto endpoints = resolver.resolve(parts->host, parts->port, ec);
  if (ec || endpoints.empty()) {
    s.last_error = "resolve " + parts->host + ": " + ec.message();
    return false;
  }
  auto& sock = beast::get_lowest_layer(s.ws);
  tcp::endpoint target = *endpoints.begin();
  sock.open(target.protocol(), ec);
  if (!ec && s.receive_buffer > 0) {
    sock.set_option(net::socket_base::receive_buffer_size(s.receive_buffer), ec);
  }
  if (ec) {
    s.last_error = "socket: " + ec.message();
    return false;
  }

  auto step = std::make_shared<op_result>();
  sock.async_connect(target, [step](beast::error_code e) {
    step->ec = e;
    step->done = true;
  });
  if (!s.pump([&] { return step->done; }, deadline)) {
    s.abort_socket();
    s.pump([&] { return step->done; }, clock_type::now() + millis(1000));
    s.last_error = "connect to " + url + " timed out";
    return false;
  }
  if (step->ec) {
    s.last_error = "connect to " + url + ": " + step->ec.message();
    s.abort_socket();
    return false;
  }
  sock.set_option(tcp::no_delay(true), ec);

  s.ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(http::field::sec_websocket_protocol, "clasp");
    req.set(http::field::user_agent, "clasp-wire-test");
  }));
  s.ws.binary(true);
  s.ws.auto_fragment(false);
  auto response = std::make_shared<websocket::response_type>();
  auto shake = std::make_shared<op_result>();
  s.ws.async_handshake(*response, parts->host + ":" + parts->port, parts->target,
                       [shake, response](beast::error_code e) {
                         shake->ec = e;
                         shake->done = true;
                       });
  if (!s.pump([&] { return shake->done; }, deadline)) {
    s.abort_socket();
    s.pump([&] { return shake->done; }, clock_type::now() + millis(1000));
    s.last_error = "WebSocket handshake with " + url + " timed out";
    return false;
  }
  if (shake->ec) {
    s.last_error = "WebSocket handshake with " + url + ": " + shake->ec.message();
    s.abort_socket();
    return false;
  }
  auto proto = (*response)[http::field::sec_websocket_protocol];
  if (proto != "clasp") {
    s.last_error = "server did not echo subprotocol 'clasp' (got '" + std::string(proto) + "')";
    s.abort_socket();
    return false;
  }
  s.connected = true;
  s.closed = false;
  s.start_read();
  return true;
}

bool wire_client::send(const message& m) { return send(m, codec::default_qos(m)); }

bool wire_client::send(const message& m, codec::qos quality) {
  codec::encode_options opts;
  opts.quality = quality;
  std::string frame;
  std::string why;
  if (!codec::encode_frame(m, opts, frame, &why)) {
    ADD_FAILURE() << "cannot encode " << describe(m) << ": " << why;
    return false;
  }
  return send_raw(frame);
}

bool wire_client::send_raw(std::string_view bytes, bool text) {
  auto& s = *impl_;
  if (!s.connected || s.closed) {
    s.last_error = "send on a closed connection";
    return false;
  }
  // The buffer lives in the handler so an abandoned write never reads freed memory.
  auto data = std::make_shared<std::string>(bytes);
  s.ws.text(text);
  s.writing = true;
  auto result = std::make_shared<op_result>();
  auto self = impl_;
  s.ws.async_write(net::buffer(*data), [self, data, result](beast::error_code e, std::size_t) {
    self->writing = false;
    result->ec = e;
    result->done = true;
  });
  // A router that stops reading shows up here as a write that never completes.
  bool finished = s.pump([&] { return result->done; }, clock_type::now() + millis(15000));
  s.ws.binary(true);
  if (!finished) {
    s.last_error = "write did not complete within 15 s (router not reading?)";
    s.abort_socket();
    s.settle(millis(2000));
    return false;
  }
  if (result->ec) {
    s.last_error = "write: " + result->ec.message();
    return false;
  }
  return true;
}

std::optional<message> wire_client::next_for(millis left) {
  auto f = recv_frame(left);
  if (!f) return std::nullopt;
  return std::move(f->msg);
}

std::optional<received_frame> wire_client::recv_frame(millis timeout) {
  auto& s = *impl_;
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    s.pump([&] { return !s.inbox.empty() || s.closed; }, deadline);
    if (s.inbox.empty()) return std::nullopt;
    std::string raw = std::move(s.inbox.front());
    s.inbox.pop_front();
    codec::decoded_frame decoded;
    codec::decode_error err;
    if (!codec::decode_frame(raw, decoded, err)) {
      ADD_FAILURE() << "router sent an undecodable frame (" << raw.size()
                    << " bytes: " << hex_prefix(raw) << "): error " << err.code << " "
                    << err.reason;
      continue;
    }
    received_frame out;
    out.header = decoded.header;
    out.msg = std::move(decoded.msg);
    out.payload_size = raw.size() - (decoded.header.timestamp ? codec::header_size_with_timestamp
                                                              : codec::header_size);
    return out;
  }
}

std::optional<message> wire_client::recv(millis timeout) { return next_for(timeout); }

msg::welcome wire_client::hello(const std::string& name, std::uint8_t features,
                                const std::string& token) {
  msg::hello h;
  h.version = 1;
  h.features = features;
  h.name = name;
  h.token = token;
  if (!send(h)) {
    ADD_FAILURE() << "HELLO could not be sent: " << last_error();
    return {};
  }
  auto w = expect<msg::welcome>();
  if (!w) return {};
  return *w;
}

std::vector<message> wire_client::collect(millis window) {
  auto& s = *impl_;
  s.pump([] { return false; }, clock_type::now() + window);
  return take_all();
}

std::vector<message> wire_client::take_all() {
  std::vector<message> out;
  while (auto m = next_for(millis(0))) out.push_back(std::move(*m));
  return out;
}

std::size_t wire_client::queued() const { return impl_->inbox.size(); }

bool wire_client::is_closed(millis timeout) {
  auto& s = *impl_;
  return s.pump([&] { return s.closed; }, clock_type::now() + timeout);
}

bool wire_client::closed() const { return impl_->closed; }

bool wire_client::received_close_frame() const { return impl_->close_frame; }

void wire_client::close() {
  auto& s = *impl_;
  if (!s.connected) return;
  if (!s.closed) {
    auto result = std::make_shared<op_result>();
    s.ws.async_close(websocket::close_code::normal,
                     [result](beast::error_code) { result->done = true; });
    s.pump([&] { return result->done; }, clock_type::now() + millis(2000));
  }
  s.abort_socket();
  s.settle(millis(2000));
  s.closed = true;
  s.connected = false;
}

void wire_client::report_unexpected(const char* expected, const std::optional<message>& got, skip s,
                                    millis timeout) const {
  std::ostringstream what;
  what << "expected " << expected;
  if (s == skip::others) what << " (skipping other frames)";
  if (got) {
    what << ", got " << describe(*got);
  } else if (impl_->closed) {
    what << ", but the connection closed (" << impl_->last_error << ")";
  } else {
    what << ", but nothing came within " << timeout.count() << " ms";
  }
  ADD_FAILURE() << what.str();
}

}  // namespace clasp::test
