// fanout: `subs` subscriber sessions on one router (pattern /fan/**) served by one
// epoll loop, and one publisher thread writing `updates` SETs over `keys`
// addresses. Counts deliveries per subscriber, duplicates/reorders, whether each
// subscriber ended with the latest value of every address, and delivery latency.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "clasp_wire.hpp"
#include "scenario_args.hpp"
#include "ws_session.hpp"

namespace bench {

namespace {

struct subscriber {
  std::unique_ptr<ws_session> session;
  std::vector<std::uint64_t> last_seq;  // per key, 0 = nothing yet
  std::uint64_t received = 0, out_of_order = 0;
  std::size_t keys_final = 0;  // keys whose final value arrived
};

const char* ready_address = "/fan/ready";

}  // namespace

int run_fanout(const scenario_args& a) {
  const std::string url = a.str("url", "");
  const std::uint64_t subs = a.count("subs", 1000), updates = a.count("updates", 2000),
                      keys = a.count("keys", 10), batch = a.count("batch", 10);
  const double rate = a.num("rate", 0), timeout = a.num("timeout", 60), drain = a.num("drain", 3);
  const std::string prefix = "/fan/k/";

  // The final sequence number per key (seq s goes to key (s - 1) % keys).
  std::vector<std::uint64_t> final_seq(keys, 0);
  for (std::uint64_t s = 1; s <= updates; ++s) final_seq[(s - 1) % keys] = s;

  ws_session publisher(url, "scenario-fan-pub");
  std::uint8_t zero[16] = {};
  publisher.queue(encode_set_bytes(ready_address, zero, 16), wire::qos_confirm);
  publisher.flush();
  auto t_setup = std::chrono::steady_clock::now();
  for (bool acked = false; !acked;) {
    if (seconds_since(t_setup) > 5) throw std::runtime_error("fanout: no ACK for the ready marker");
    publisher.pump(100, [&](const std::uint8_t* p, std::size_t n) { acked = acked || (n && p[0] == wire::ack); });
  }

  // Subscribers one by one: a subscription is live once its initial SNAPSHOT
  // (holding the ready marker) arrived.
  std::vector<subscriber> sub(subs);
  for (std::uint64_t i = 0; i < subs; ++i) {
    sub[i].session = std::make_unique<ws_session>(url, "scenario-fan-sub-" + std::to_string(i));
    sub[i].last_seq.assign(keys, 0);
    sub[i].session->queue(encode_subscribe(1, "/fan/**"), wire::qos_fire);
    sub[i].session->flush();
    bool live = false;
    auto t = std::chrono::steady_clock::now();
    while (!live) {
      if (seconds_since(t) > 5) throw std::runtime_error("fanout: subscriber " + std::to_string(i) + " got no SNAPSHOT");
      sub[i].session->pump(100, [&](const std::uint8_t* p, std::size_t n) {
        for_each_param(p, n, [&](const param_view&) { live = true; });
      });
    }
  }
  double setup_s = seconds_since(t_setup);

  int ep = ::epoll_create1(0);
  if (ep < 0) throw std::runtime_error("epoll_create1 failed");
  for (std::uint64_t i = 0; i < subs; ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, sub[i].session->fd(), &ev);
  }

  std::vector<std::uint64_t> latency_ns;
  latency_ns.reserve(subs * updates);
  std::atomic<bool> published{false};
  std::atomic<std::uint64_t> first_send_ns{0};
  std::uint64_t last_recv_ns = 0;
  double publish_s = 0;
  std::thread pub([&] {
    auto t0 = std::chrono::steady_clock::now();
    first_send_ns = now_ns();
    std::uint8_t value[16];
    for (std::uint64_t s = 1; s <= updates; ++s) {
      std::uint64_t sent = now_ns();
      for (int b = 0; b < 8; ++b) {
        value[b] = static_cast<std::uint8_t>(s >> (56 - 8 * b));
        value[8 + b] = static_cast<std::uint8_t>(sent >> (56 - 8 * b));
      }
      publisher.queue(encode_set_bytes(prefix + std::to_string((s - 1) % keys), value, 16), wire::qos_fire);
      if (s % batch == 0 || s == updates) {
        publisher.flush();
        if (rate > 0) {  // pace: update s is due at s / rate seconds
          auto due = t0 + std::chrono::duration<double>(s / rate);
          std::this_thread::sleep_until(due);
        }
      }
    }
    publish_s = seconds_since(t0);
    published = true;
  });

  std::uint64_t complete = 0, received = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto last_progress = t0;
  std::vector<epoll_event> events(256);
  std::string error;
  while (complete < subs) {
    if (seconds_since(t0) > timeout) break;
    if (published && seconds_since(last_progress) > drain) break;
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int e = 0; e < n; ++e) {
      subscriber& s = sub[events[e].data.u64];
      try {
        s.session->read_ready([&](const std::uint8_t* p, std::size_t len) {
          for_each_param(p, len, [&](const param_view& v) {
            if (v.type != wire::type_bytes || v.value_len != 16) return;
            std::uint64_t seq = get_u64(v.value), sent = get_u64(v.value + 8);
            if (seq == 0 || seq > updates) return;
            std::uint64_t now = now_ns();
            latency_ns.push_back(now - sent);
            last_recv_ns = now;
            ++s.received;
            ++received;
            last_progress = std::chrono::steady_clock::now();
            auto key = (seq - 1) % keys;
            if (seq <= s.last_seq[key]) {
              ++s.out_of_order;
              return;
            }
            s.last_seq[key] = seq;
            if (seq == final_seq[key] && ++s.keys_final == keys) ++complete;
          });
        });
      } catch (const std::exception& ex) {
        if (error.empty()) error = ex.what();
        ::epoll_ctl(ep, EPOLL_CTL_DEL, s.session->fd(), nullptr);
      }
    }
  }
  pub.join();
  ::close(ep);

  std::uint64_t every = 0, dup = 0;
  for (const auto& s : sub) {
    if (s.received - s.out_of_order == updates) ++every;
    dup += s.out_of_order;
  }
  std::sort(latency_ns.begin(), latency_ns.end());
  auto pct = [&](double q) {
    return latency_ns.empty() ? 0.0 : latency_ns[std::min(latency_ns.size() - 1, static_cast<std::size_t>(q * latency_ns.size()))] / 1000.0;
  };
  double span_s = last_recv_ns > first_send_ns ? (last_recv_ns - first_send_ns) / 1e9 : 0;
  bool ok = complete == subs;
  std::printf(
      "{\"mode\":\"fanout\",\"ok\":%s,\"subs\":%llu,\"updates\":%llu,\"keys\":%llu,\"setup_s\":%.3f,\"publish_s\":%.3f,"
      "\"span_s\":%.3f,\"deliveries\":%llu,\"expected\":%llu,\"deliveries_per_s\":%.0f,\"subs_with_latest\":%llu,"
      "\"subs_with_every_update\":%llu,\"out_of_order\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
      "\"error\":\"%s\"}\n",
      ok ? "true" : "false", static_cast<unsigned long long>(subs), static_cast<unsigned long long>(updates),
      static_cast<unsigned long long>(keys), setup_s, publish_s, span_s, static_cast<unsigned long long>(received),
      static_cast<unsigned long long>(subs * updates), span_s > 0 ? received / span_s : 0.0,
      static_cast<unsigned long long>(complete), static_cast<unsigned long long>(every),
      static_cast<unsigned long long>(dup), pct(0.5), pct(0.99), latency_ns.empty() ? 0.0 : latency_ns.back() / 1000.0,
      error.c_str());
  return ok ? 0 : 1;
}

}  // namespace bench
