// probe: the small client of bench/latency_under_load: SET (QoS confirm) ->
// ACK round trips on one address at a fixed rate, one at a time, for a while;
// prints the round-trip percentiles. A round trip that gets no ACK within
// --timeout fails the run.
//
// subscribe: the big client: subscribes to --pattern with an ACK (which follows
// the last SNAPSHOT part), counts the params until the ACK, closes, and does it
// again --repeat times (or until --duration seconds passed).
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "clasp_wire.hpp"
#include "scenario_args.hpp"
#include "ws_session.hpp"

namespace bench {

namespace {
double percentile_us(std::vector<double>& sorted_us, double q) {
  if (sorted_us.empty()) return 0;
  const auto at = static_cast<std::size_t>(q * static_cast<double>(sorted_us.size() - 1) + 0.5);
  return sorted_us[std::min(at, sorted_us.size() - 1)];
}
}  // namespace

int run_probe(const scenario_args& a) {
  const std::string address = a.str("address", "/probe/x");
  const double rate = a.num("rate", 1000), duration = a.num("duration", 10), timeout = a.num("timeout", 5);
  const std::string label = a.str("label", "");
  ws_session s(a.str("url", ""), "latency-probe");
  std::vector<double> rtt_us;
  rtt_us.reserve(static_cast<std::size_t>(rate * duration) + 16);
  const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / rate));
  const auto t0 = std::chrono::steady_clock::now();
  auto next = t0;
  std::uint64_t errors = 0, over_1ms = 0, over_2ms = 0;
  double value = 0;
  while (seconds_since(t0) < duration) {
    std::this_thread::sleep_until(next);
    next += period;
    const auto sent = std::chrono::steady_clock::now();
    s.queue(encode_set_f64(address, ++value), wire::qos_confirm);
    s.flush();
    bool answered = false;
    while (!answered) {
      if (seconds_since(sent) > timeout) throw std::runtime_error("probe: no ACK within the timeout");
      s.pump(50, [&](const std::uint8_t* p, std::size_t n) {
        if (n == 0) return;
        if (p[0] == wire::ack) answered = true;
        if (p[0] == wire::error) ++errors, answered = true;
      });
    }
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - sent).count();
    rtt_us.push_back(us);
    over_1ms += us > 1000 ? 1 : 0;
    over_2ms += us > 2000 ? 1 : 0;
    // A late round trip does not make the next ones bunch up.
    if (next < std::chrono::steady_clock::now()) next = std::chrono::steady_clock::now();
  }
  std::sort(rtt_us.begin(), rtt_us.end());
  std::printf(
      "{\"mode\":\"probe\",\"label\":\"%s\",\"ok\":%s,\"round_trips\":%zu,\"errors\":%llu,\"p50_us\":%.0f,"
      "\"p90_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,\"max_us\":%.0f,\"over_1ms\":%llu,\"over_2ms\":%llu}\n",
      label.c_str(), errors == 0 ? "true" : "false", rtt_us.size(), static_cast<unsigned long long>(errors),
      percentile_us(rtt_us, 0.5), percentile_us(rtt_us, 0.9), percentile_us(rtt_us, 0.99),
      percentile_us(rtt_us, 0.999), rtt_us.empty() ? 0 : rtt_us.back(),
      static_cast<unsigned long long>(over_1ms), static_cast<unsigned long long>(over_2ms));
  return errors == 0 ? 0 : 1;
}

int run_subscribe(const scenario_args& a) {
  const std::string pattern = a.str("pattern", "/site-a/**");
  const std::uint64_t repeat = a.count("repeat", 1), expect = a.count("expect", 0);
  const double duration = a.num("duration", 0), timeout = a.num("timeout", 120);
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t runs = 0, short_runs = 0;
  double slowest_s = 0, total_s = 0;
  std::uint64_t last_params = 0;
  for (; runs < repeat || (duration > 0 && seconds_since(t0) < duration); ++runs) {
    ws_session s(a.str("url", ""), "big-subscriber");
    const auto started = std::chrono::steady_clock::now();
    s.queue(encode_subscribe(1, pattern), wire::qos_confirm);
    s.flush();
    std::uint64_t params = 0;
    bool acked = false;
    while (!acked) {
      if (seconds_since(started) > timeout) throw std::runtime_error("subscribe: no ACK within the timeout");
      s.pump(100, [&](const std::uint8_t* p, std::size_t n) {
        if (n == 0) return;
        if (p[0] == wire::ack) {
          acked = true;
        } else if (p[0] == wire::snapshot) {
          for_each_param(p, n, [&](const param_view&) { ++params; });
        }
      });
    }
    const double took = seconds_since(started);
    slowest_s = std::max(slowest_s, took);
    total_s += took;
    last_params = params;
    short_runs += params < expect ? 1 : 0;
  }
  std::printf(
      "{\"mode\":\"subscribe\",\"ok\":%s,\"runs\":%llu,\"params_last\":%llu,\"short_runs\":%llu,"
      "\"mean_s\":%.3f,\"slowest_s\":%.3f}\n",
      short_runs == 0 ? "true" : "false", static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(last_params), static_cast<unsigned long long>(short_runs),
      runs ? total_s / static_cast<double>(runs) : 0, slowest_s);
  return short_runs == 0 ? 0 : 1;
}

}  // namespace bench
