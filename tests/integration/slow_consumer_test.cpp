// A subscriber that stops reading must not stall the router or grow its
// memory: it is coalesced to the latest value per address, or closed.
#include <array>
#include <chrono>
#include <cstdio>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using slow_consumer_test = router_test;
using clock_type = std::chrono::steady_clock;

constexpr int writes = 200000;
constexpr int addresses = 10;
constexpr std::size_t value_bytes = 1000;  // 200 MB in total: far more than any socket buffers
constexpr long rss_limit_kb = 300 * 1024;
// Under AddressSanitizer the router already starts near 350 MB (shadow memory),
// so there the bound is on growth: half of what is written, which a router
// queueing every write for the stalled subscriber would exceed.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_bound_is_growth = true;
#else
constexpr bool rss_bound_is_growth = false;
#endif
constexpr long rss_growth_limit_kb = 100 * 1024;

std::string address(int k) { return "/slow/" + std::to_string(k); }

// "<sequence>:" padded to value_bytes, so the sequence can be read back.
std::string payload(int seq) {
  std::string v = std::to_string(seq) + ":";
  v.resize(value_bytes, '.');
  return v;
}

int sequence_of(const value& v) {
  const auto* s = std::get_if<std::string>(&v.data);
  if (!s) return -1;
  return std::stoi(s->substr(0, s->find(':')));
}

TEST_F(slow_consumer_test, stalled_subscriber_is_coalesced_or_closed_and_memory_stays_bounded) {
  auto slow = std::make_unique<wire_client>();
  slow->set_receive_buffer(4096);
  ASSERT_TRUE(slow->connect(router().port())) << slow->last_error();
  slow->hello("slow");
  auto writer = client("writer");
  auto observer = client("observer");
  ASSERT_TRUE(slow->send(make_subscribe(1, "/slow/**")));
  ASSERT_TRUE(await_live(*slow, *writer, make_set(address(0), payload(-1)), address(0)));
  slow->take_all();

  const long rss_start = router().rss_kb();
  long rss_max = rss_start;
  // From here on `slow` is not read at all.
  for (int i = 0; i < writes; ++i) {
    ASSERT_TRUE(writer->send(make_set(address(i % addresses), payload(i)), codec::qos::fire))
        << "write " << i << " blocked or failed: " << writer->last_error()
        << " (a slow subscriber must not stall writers)";
    if (i % 20000 == 19999) {
      rss_max = std::max(rss_max, router().rss_kb());
      auto t0 = clock_type::now();
      ASSERT_TRUE(observer->send(msg::ping{}));
      ASSERT_TRUE(observer->expect<msg::pong>(millis(3000), skip::others).has_value())
          << "router unresponsive after " << i + 1 << " writes";
      auto rtt = std::chrono::duration_cast<millis>(clock_type::now() - t0);
      EXPECT_LT(rtt.count(), 3000);
      writer->take_all();  // drop whatever the writer got back
    }
  }
  // The last value per address must be in the store (observer's GETs).
  for (int k = 0; k < addresses; ++k) {
    const int last = writes - addresses + k;
    bool stored = false;
    const auto deadline = clock_type::now() + std::chrono::seconds(20);
    while (!stored && clock_type::now() < deadline) {
      auto p = get_param(*observer, address(k));
      stored = p && sequence_of(p->val) == last;
    }
    ASSERT_TRUE(stored) << address(k) << " never reached write " << last;
  }
  rss_max = std::max(rss_max, router().rss_kb());
  if (rss_bound_is_growth) {
    EXPECT_LT(rss_max - rss_start, rss_growth_limit_kb) << "router RSS grew from " << rss_start << " kB";
  } else {
    EXPECT_LT(rss_max, rss_limit_kb) << "router RSS grew from " << rss_start << " kB";
  }

  // Resume reading: either the router closed us, or we converge to the latest values.
  std::array<int, addresses> latest;
  latest.fill(-2);
  int converged = 0;
  std::size_t received = 0;
  const auto deadline = clock_type::now() + std::chrono::seconds(30);
  while (converged < addresses && clock_type::now() < deadline) {
    auto m = slow->recv(millis(2000));
    if (!m) {
      if (slow->closed()) break;
      continue;
    }
    ++received;
    std::vector<param_entry> updates;
    if (m->is<msg::set>()) {
      updates.push_back({m->as<msg::set>().address, m->as<msg::set>().val, 0, {}, {}});
    } else if (m->is<msg::snapshot>()) {
      updates = m->as<msg::snapshot>().params;
    } else {
      continue;
    }
    for (auto& u : updates) {
      const int k = std::stoi(u.address.substr(6));
      const int seq = sequence_of(u.val);
      ASSERT_GE(k, 0);
      ASSERT_LT(k, addresses);
      EXPECT_GT(seq, latest[k]) << "updates for " << u.address << " went backwards";
      if (latest[k] != writes - addresses + k && seq == writes - addresses + k) ++converged;
      latest[k] = seq;
    }
  }
  if (slow->closed()) {
    SUCCEED() << "slow subscriber was closed after " << received << " frames";
  } else {
    EXPECT_EQ(converged, addresses) << "slow subscriber neither closed nor given the latest values";
  }
  EXPECT_LT(received, static_cast<std::size_t>(writes)) << "nothing was coalesced";

  // The router still serves everyone else.
  ASSERT_TRUE(observer->send(msg::ping{}));
  EXPECT_TRUE(observer->expect<msg::pong>(default_timeout, skip::others).has_value());
  std::printf("slow consumer: %s after %zu frames; router RSS %ld kB at start, %ld kB max\n",
              slow->closed() ? "closed" : "coalesced", received, rss_start, rss_max);
}

}  // namespace
}  // namespace clasp::test
