// fill: writes `count` params prefix<first + i*stride> = value as fast as one
// connection allows. QoS fire, except every confirm_every-th SET asks for an ACK:
// those ACKs bound the window of unapplied writes without an ACK per message.
#include <cstdio>
#include <deque>
#include <stdexcept>
#include <string>

#include "clasp_wire.hpp"
#include "scenario_args.hpp"
#include "ws_session.hpp"

namespace bench {

int run_fill(const scenario_args& a) {
  const std::string prefix = a.str("prefix", "/site-a/p/");
  const std::uint64_t count = a.count("count", 1000000), first = a.count("first", 0), stride = a.count("stride", 1);
  const double value = a.num("value", 1);
  const std::uint64_t batch = a.count("batch", 256), confirm_every = a.count("confirm-every", 4096),
                      window = a.count("window", 65536);
  const double timeout = a.num("timeout", 300);

  ws_session s(a.str("url", ""), "scenario-fill");
  std::deque<std::uint64_t> confirms;  // message index of each unanswered confirm SET
  std::uint64_t applied = 0, acks = 0, errors = 0, address_bytes = 0;
  auto on_reply = [&](const std::uint8_t* p, std::size_t n) {
    if (n == 0) return;
    if (p[0] == wire::ack && !confirms.empty()) {
      applied = confirms.front() + 1;
      confirms.pop_front();
      ++acks;
    } else if (p[0] == wire::error) {
      if (++errors <= 3) std::fprintf(stderr, "fill: ERROR reply (%zu bytes)\n", n);
    }
  };

  auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string address = prefix + std::to_string(first + i * stride);
    address_bytes += address.size();
    bool confirm = (i + 1) % confirm_every == 0 || i + 1 == count;
    s.queue(encode_set_f64(address, value), confirm ? wire::qos_confirm : wire::qos_fire);
    if (confirm) confirms.push_back(i);
    if ((i + 1) % batch == 0 || i + 1 == count) {
      s.flush();
      s.pump(0, on_reply);
      while (i + 1 - applied > window) {
        if (seconds_since(t0) > timeout) throw std::runtime_error("fill: window stuck (no ACK)");
        s.pump(100, on_reply);
      }
    }
  }
  double sent_s = seconds_since(t0);
  while (!confirms.empty()) {
    if (seconds_since(t0) > timeout) throw std::runtime_error("fill: final ACK missing");
    s.pump(100, on_reply);
  }
  double elapsed = seconds_since(t0);
  std::printf(
      "{\"mode\":\"fill\",\"ok\":%s,\"count\":%llu,\"send_s\":%.3f,\"elapsed_s\":%.3f,\"sets_per_s\":%.0f,"
      "\"acks\":%llu,\"errors\":%llu,\"address_bytes\":%llu,\"value_bytes\":%llu}\n",
      errors == 0 ? "true" : "false", static_cast<unsigned long long>(count), sent_s, elapsed, count / elapsed,
      static_cast<unsigned long long>(acks), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(address_bytes), static_cast<unsigned long long>(count * 8));
  return errors == 0 ? 0 : 1;
}

}  // namespace bench
