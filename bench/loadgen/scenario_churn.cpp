// churn: steady create/expire load. Every 100 ms writes rate/10 params at
// addresses never used before, each with a relative TTL, so the router keeps
// turning fresh params into tombstones; with tombstones purged after their
// retention its memory must stay flat (bench/churn/run.sh samples RSS).
#include <cstdio>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <thread>

#include "clasp_wire.hpp"
#include "scenario_args.hpp"
#include "ws_session.hpp"

namespace bench {

namespace {
// SET with an f64 value and a relative TTL in seconds.
bytes encode_expiring_set(const std::string& address, double value, std::uint32_t ttl_s) {
  bytes b{wire::set, static_cast<std::uint8_t>(0x10 | wire::type_f64)};
  put_string(b, address);
  std::uint64_t bits;
  std::memcpy(&bits, &value, 8);
  put_u64(b, bits);
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(ttl_s >> (8 * i)));
  return b;
}
}  // namespace

int run_churn(const scenario_args& a) {
  const std::string prefix = a.str("prefix", "/churn/");
  const std::uint64_t rate = a.count("rate", 20000);
  const double duration = a.num("duration", 60);
  const auto ttl = static_cast<std::uint32_t>(a.count("ttl", 1));
  const std::uint64_t per_tick = std::max<std::uint64_t>(1, rate / 10);
  const std::uint64_t confirm_every = 1024;

  ws_session s(a.str("url", ""), "scenario-churn");
  std::uint64_t sent = 0, acks = 0, errors = 0, confirms_out = 0;
  auto on_reply = [&](const std::uint8_t* p, std::size_t n) {
    if (n == 0) return;
    if (p[0] == wire::ack) {
      ++acks;
      --confirms_out;
    } else if (p[0] == wire::error && ++errors <= 3) {
      std::fprintf(stderr, "churn: ERROR reply (%zu bytes)\n", n);
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto next_tick = t0;
  while (seconds_since(t0) < duration) {
    for (std::uint64_t i = 0; i < per_tick; ++i, ++sent) {
      const bool confirm = (sent + 1) % confirm_every == 0;
      s.queue(encode_expiring_set(prefix + std::to_string(sent), 1.0, ttl),
              confirm ? wire::qos_confirm : wire::qos_fire);
      if (confirm) ++confirms_out;
    }
    s.flush();
    next_tick += std::chrono::milliseconds(100);
    // Pace to the rate; the router's replies are read meanwhile.
    while (std::chrono::steady_clock::now() < next_tick) s.pump(5, on_reply);
    if (confirms_out > 64) throw std::runtime_error("churn: the router fell behind (no ACKs)");
  }
  const double elapsed = seconds_since(t0);
  std::printf(
      "{\"mode\":\"churn\",\"ok\":%s,\"sets\":%llu,\"elapsed_s\":%.3f,\"sets_per_s\":%.0f,\"acks\":"
      "%llu,"
      "\"errors\":%llu}\n",
      errors == 0 ? "true" : "false", static_cast<unsigned long long>(sent), elapsed,
      sent / elapsed, static_cast<unsigned long long>(acks),
      static_cast<unsigned long long>(errors));
  return errors == 0 ? 0 : 1;
}

}  // namespace bench
