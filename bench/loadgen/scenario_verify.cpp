// verify: GETs prefix<first + i*stride> for i < count until every one holds the
// f64 `equals` (bounded by --timeout); prints how long that took.
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "clasp_wire.hpp"
#include "scenario_args.hpp"
#include "ws_session.hpp"

namespace bench {

int run_verify(const scenario_args& a) {
  const std::string prefix = a.str("prefix", "/site-a/p/");
  const std::uint64_t count = a.count("count", 100), first = a.count("first", 0), stride = a.count("stride", 1);
  const double equals = a.num("equals", 1), timeout = a.num("timeout", 60);
  const auto interval = std::chrono::milliseconds(a.count("interval-ms", 20));

  auto t0 = std::chrono::steady_clock::now();
  ws_session s(a.str("url", ""), "scenario-verify");
  std::set<std::string> pending;
  for (std::uint64_t i = 0; i < count; ++i) pending.insert(prefix + std::to_string(first + i * stride));
  std::uint64_t rounds = 0;
  while (!pending.empty() && seconds_since(t0) < timeout) {
    ++rounds;
    for (const auto& address : pending) s.queue(encode_get(address), wire::qos_fire);
    s.flush();
    std::size_t replies = 0, asked = pending.size();
    std::set<std::string> matched;
    auto round_start = std::chrono::steady_clock::now();
    while (replies < asked && seconds_since(round_start) < 2) {
      s.pump(50, [&](const std::uint8_t* p, std::size_t n) {
        if (n == 0) return;
        if (p[0] == wire::error || p[0] == wire::snapshot) ++replies;
        for_each_param(p, n, [&](const param_view& v) {
          double d;
          if (as_double(v, &d) && d == equals) matched.emplace(v.address, v.address_len);
        });
      });
    }
    for (const auto& m : matched) pending.erase(m);
    if (!pending.empty()) std::this_thread::sleep_for(interval);  // poll pacing, bounded by timeout
  }
  double elapsed = seconds_since(t0);
  bool ok = pending.empty();
  std::printf("{\"mode\":\"verify\",\"ok\":%s,\"count\":%llu,\"matched\":%llu,\"elapsed_s\":%.3f,\"rounds\":%llu}\n",
              ok ? "true" : "false", static_cast<unsigned long long>(count),
              static_cast<unsigned long long>(count - pending.size()), elapsed,
              static_cast<unsigned long long>(rounds));
  return ok ? 0 : 1;
}

}  // namespace bench
