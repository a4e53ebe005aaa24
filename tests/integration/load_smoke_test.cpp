// Load smoke (issue 3): 500 concurrent clients, all subscribed to one shared
// pattern and each writing its own address for 10 s. Every subscriber ends with
// the latest value of every address, nobody gets an error, and the router's
// memory returns near its starting level. All clients share one I/O thread.
#include <chrono>
#include <cstdint>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using load_smoke_test = router_test;
using clock_type = std::chrono::steady_clock;

constexpr int clients = 500;
constexpr auto write_phase = std::chrono::seconds(10);
constexpr auto tick = std::chrono::milliseconds(100);
constexpr int ticks_per_write = 20;  // each client writes every 2 s: 250 writes/s in total
constexpr long rss_slack_kb = 50 * 1024;

std::string address(int i) { return "/load/" + std::to_string(i); }

// What one subscriber has seen.
struct subscriber_view {
  std::vector<std::int64_t> latest = std::vector<std::int64_t>(clients, -1);
  std::int64_t updates = 0;
  int out_of_order = 0;
  bool ready = false;
  std::vector<std::string> errors;
};

void absorb(wire_client& c, subscriber_view& view) {
  auto apply = [&view](const std::string& a, const value& v) {
    if (a == "/load/ready") {
      view.ready = true;
      return;
    }
    std::optional<std::int64_t> seq;
    if (const auto* i = std::get_if<std::int64_t>(&v.data)) seq = *i;
    if (const auto* d = std::get_if<double>(&v.data)) seq = static_cast<std::int64_t>(*d);
    if (a.rfind("/load/", 0) != 0 || !seq) return;
    const int writer = std::stoi(a.substr(6));
    if (writer < 0 || writer >= clients) return;
    if (*seq <= view.latest[writer]) ++view.out_of_order;
    view.latest[writer] = std::max(view.latest[writer], *seq);
    ++view.updates;
  };
  for (auto& m : c.take_all()) {
    if (m.is<msg::set>()) {
      apply(m.as<msg::set>().address, m.as<msg::set>().val);
    } else if (m.is<msg::snapshot>()) {
      for (auto& p : m.as<msg::snapshot>().params) apply(p.address, p.val);
    } else if (m.is<msg::error>()) {
      view.errors.push_back(describe(m));
    }
  }
}

TEST_F(load_smoke_test, five_hundred_clients_subscribe_and_write_for_ten_seconds) {
  const auto test_start = clock_type::now();
  const long rss_before = router().rss_kb();
  wire_context ctx;
  std::vector<std::unique_ptr<wire_client>> cs;
  std::vector<subscriber_view> views(clients);
  for (int i = 0; i < clients; ++i) {
    cs.push_back(std::make_unique<wire_client>(ctx));
    ASSERT_TRUE(cs.back()->connect(router().port()))
        << "client " << i << ": " << cs.back()->last_error();
    ASSERT_FALSE(cs.back()->hello("load-" + std::to_string(i)).session.empty());
  }
  for (int i = 0; i < clients; ++i) {
    ASSERT_TRUE(cs[i]->send(make_subscribe(1, "/load/**", type_mask::param)));
  }

  // Everyone is live once they all see the same probe write.
  int ready = 0;
  const auto ready_deadline = clock_type::now() + std::chrono::seconds(20);
  for (std::int64_t round = 0; ready < clients && clock_type::now() < ready_deadline; ++round) {
    ASSERT_TRUE(cs[0]->send(make_set("/load/ready", round), codec::qos::fire));
    ctx.run_for(millis(200));
    ready = 0;
    for (int i = 0; i < clients; ++i) {
      absorb(*cs[i], views[i]);
      ready += views[i].ready;
    }
  }
  ASSERT_EQ(ready, clients) << "subscriptions not live after 20 s";

  // Write phase: client i writes its own address every ticks_per_write ticks.
  std::vector<std::int64_t> written(clients, -1);
  const auto phase_start = clock_type::now();
  int tick_no = 0;
  while (clock_type::now() - phase_start < write_phase) {
    for (int i = tick_no % ticks_per_write; i < clients; i += ticks_per_write) {
      ++written[i];
      ASSERT_TRUE(cs[i]->send(make_set(address(i), written[i]), codec::qos::fire))
          << "client " << i << ": " << cs[i]->last_error();
    }
    ++tick_no;
    const auto next = phase_start + tick * tick_no;
    auto left = std::chrono::duration_cast<millis>(next - clock_type::now());
    if (left.count() > 0) ctx.run_for(left);
    for (int i = 0; i < clients; ++i) absorb(*cs[i], views[i]);
  }
  const auto write_end = clock_type::now();

  // Convergence: every subscriber holds the latest value of every writer.
  auto converged = [&] {
    for (const auto& v : views) {
      for (int w = 0; w < clients; ++w) {
        if (v.latest[w] != written[w]) return false;
      }
    }
    return true;
  };
  const auto converge_deadline = clock_type::now() + std::chrono::seconds(20);
  while (!converged() && clock_type::now() < converge_deadline) {
    ctx.run_for(millis(200));
    for (int i = 0; i < clients; ++i) absorb(*cs[i], views[i]);
  }
  const auto converge_end = clock_type::now();

  std::int64_t total_writes = 0;
  for (auto w : written) total_writes += w + 1;
  std::int64_t delivered = 0;
  int complete = 0;
  int lagging = 0;
  for (int i = 0; i < clients; ++i) {
    const auto& v = views[i];
    delivered += v.updates;
    complete += v.updates >= total_writes;
    for (int w = 0; w < clients; ++w) lagging += v.latest[w] != written[w];
    EXPECT_TRUE(v.errors.empty()) << "client " << i << " got " << v.errors.front();
    EXPECT_EQ(v.out_of_order, 0) << "client " << i << " saw updates out of order";
    EXPECT_FALSE(cs[i]->closed()) << "client " << i << " was disconnected: " << cs[i]->last_error();
  }
  EXPECT_EQ(lagging, 0) << "(subscriber, address) pairs without the latest value";
  const long rss_peak = router().rss_kb();

  // Memory returns near where it started once everyone is gone.
  cs.clear();
  auto probe = client("probe");
  long rss_after = router().rss_kb();
  const auto rss_deadline = clock_type::now() + std::chrono::seconds(10);
  while (rss_after > rss_before + rss_slack_kb && clock_type::now() < rss_deadline) {
    ASSERT_TRUE(probe->send(msg::ping{}));
    ASSERT_TRUE(probe->expect<msg::pong>().has_value());
    probe->recv(millis(200));  // paces the sampling
    rss_after = router().rss_kb();
  }
  EXPECT_LE(rss_after, rss_before + rss_slack_kb)
      << "RSS before " << rss_before << " kB, peak " << rss_peak << " kB, after " << rss_after;

  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "load smoke: %d clients, %lld writes in %.1f s, %lld deliveries (%lld expected without "
      "coalescing), %d subscribers got every update, converged %.1f s after the last write; "
      "RSS before %ld kB, peak %ld kB, after %ld kB; whole test %.1f s\n",
      clients, static_cast<long long>(total_writes), secs(write_end - phase_start),
      static_cast<long long>(delivered), static_cast<long long>(total_writes) * clients, complete,
      secs(converge_end - write_end), rss_before, rss_peak, rss_after,
      secs(clock_type::now() - test_start));
  EXPECT_LT(clock_type::now() - test_start, std::chrono::seconds(60));
}

}  // namespace
}  // namespace clasp::test
