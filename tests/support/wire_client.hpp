// A blocking CLASP test client over WebSocket: connect, send, receive with
// bounded waits, and helpers that fail the current test with a clear message.
// Everything runs on the calling thread; Beast stays in the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "messages/codec.hpp"
#include "messages/messages.hpp"

namespace clasp::test {

using millis = std::chrono::milliseconds;
inline constexpr millis default_timeout{5000};

// HELLO feature bits of an ordinary (non-federation) client.
inline constexpr std::uint8_t client_features =
    feature::param | feature::event | feature::stream | feature::gesture | feature::timeline;

// One frame as it came off the wire.
struct received_frame {
  codec::frame_header header;
  message msg;
  std::size_t payload_size = 0;  // for frame-limit checks
};

// An I/O context shared by many clients driven from one thread (load tests).
// It must outlive every client made from it.
class wire_context {
 public:
  wire_context();
  ~wire_context();
  wire_context(const wire_context&) = delete;
  wire_context& operator=(const wire_context&) = delete;

  // Runs socket work of every client for `d`; received frames pile up in
  // each client's inbox.
  void run_for(millis d);
  // Runs only what is ready now.
  void poll();

  struct impl;
  impl& get() { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

// What to do with frames that are not the expected type.
enum class skip { none, pings, others };

class wire_client {
 public:
  wire_client();                            // with its own I/O context
  explicit wire_client(wire_context& ctx);  // driven together with others
  ~wire_client();
  wire_client(const wire_client&) = delete;
  wire_client& operator=(const wire_client&) = delete;

  // Socket receive buffer to ask for before connecting (slow-consumer tests).
  void set_receive_buffer(int bytes);

  // WebSocket upgrade with subprotocol "clasp"; false (and last_error()) if it
  // fails or the server does not echo the subprotocol.
  bool connect(std::uint16_t port, millis timeout = default_timeout);
  bool connect(const std::string& url, millis timeout = default_timeout);
  const std::string& last_error() const;

  // Encodes and sends one frame (QoS as the reference client would use).
  bool send(const message& m);
  bool send(const message& m, codec::qos quality);
  // Sends bytes as one WebSocket message, binary unless `text`.
  bool send_raw(std::string_view bytes, bool text = false);

  // Next frame, or nullopt on timeout/close. Undecodable frames fail the test.
  std::optional<received_frame> recv_frame(millis timeout = default_timeout);
  std::optional<message> recv(millis timeout = default_timeout);

  // HELLO -> WELCOME; fails the test (and returns an empty welcome) otherwise.
  msg::welcome hello(const std::string& name = "wire-test", std::uint8_t features = client_features,
                     const std::string& token = "");

  // The next message, which must be a T (frames skipped per `s`).
  template <class T>
  std::optional<T> expect(millis timeout = default_timeout, skip s = skip::none);

  // The first T satisfying `pred`; every other frame is skipped.
  template <class T, class Pred>
  std::optional<T> recv_until(Pred pred, millis timeout = default_timeout);

  // Everything that arrives within `window` (plus what is already queued).
  std::vector<message> collect(millis window);
  // Everything queued now, without waiting.
  std::vector<message> take_all();
  std::size_t queued() const;

  // Waits until the server has closed the connection (close frame or EOF).
  bool is_closed(millis timeout = default_timeout);
  bool closed() const;
  // True if the server's close came as a WebSocket close frame (not a bare EOF).
  bool received_close_frame() const;
  // Closes from our side (close handshake, bounded).
  void close();

 private:
  void report_unexpected(const char* expected, const std::optional<message>& got, skip s,
                         millis timeout) const;
  std::optional<message> next_for(millis left);

  struct impl;
  std::shared_ptr<impl> impl_;
};

// "SET /a/b = 1.0 rev 3", "ERROR 401 lock held", ... for failure messages.
std::string describe(const message& m);

// The upper-case wire name of T ("SET").
template <class T>
const char* type_name() {
  return to_string(message(T{}).type());
}

template <class T>
std::optional<T> wire_client::expect(millis timeout, skip s) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  std::optional<message> last;
  for (;;) {
    auto left = std::chrono::duration_cast<millis>(deadline - clock::now());
    if (left.count() < 0) left = millis(0);
    last = next_for(left);
    if (!last) break;
    if (last->is<T>()) return last->as<T>();
    if (s == skip::others) continue;
    if (s == skip::pings && last->is<msg::ping>()) continue;
    break;
  }
  report_unexpected(type_name<T>(), last, s, timeout);
  return std::nullopt;
}

template <class T, class Pred>
std::optional<T> wire_client::recv_until(Pred pred, millis timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<millis>(deadline - clock::now());
    if (left.count() < 0) left = millis(0);
    auto m = next_for(left);
    if (!m) return std::nullopt;
    if (m->is<T>() && pred(m->as<T>())) return m->as<T>();
  }
}

}  // namespace clasp::test

namespace clasp {
// GoogleTest printers, found by ADL, so failures show values and messages.
inline void PrintTo(const value& v, std::ostream* os) { *os << to_string(v); }
inline void PrintTo(const message& m, std::ostream* os) { *os << test::describe(m); }
}  // namespace clasp
