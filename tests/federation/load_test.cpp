// Guarantee 1 under load: 5,000 SETs at site-a over 100 addresses; the
// subscriber at site-b ends with every latest value and never sees a
// revision twice (coalescing is allowed, duplicates are not).
#include <chrono>
#include <iostream>
#include <map>
#include <set>

#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

class load : public three_routers {};

struct observed {
  std::map<std::string, std::set<revision_t>> revisions;
  std::map<std::string, std::pair<revision_t, value>> latest;
  std::size_t updates = 0;
  std::size_t duplicates = 0;
  std::size_t out_of_order = 0;
  std::string first_duplicate;

  void take(const std::vector<message>& msgs, const std::string& prefix) {
    for (const auto& m : msgs) {
      if (m.is<msg::set>()) add(m.as<msg::set>().address, m.as<msg::set>().revision.value_or(0), m.as<msg::set>().val, prefix);
      if (m.is<msg::snapshot>())
        for (const auto& p : m.as<msg::snapshot>().params) add(p.address, p.revision, p.val, prefix);
    }
  }
  void add(const std::string& a, revision_t rev, const value& v, const std::string& prefix) {
    if (a.compare(0, prefix.size(), prefix) != 0) return;
    ++updates;
    if (!revisions[a].insert(rev).second) {
      if (duplicates++ == 0) first_duplicate = a + " rev " + std::to_string(rev);
    }
    auto& l = latest[a];
    if (rev < l.first) ++out_of_order;
    if (rev >= l.first) l = {rev, v};
  }
};

TEST_F(load, five_thousand_sets_arrive_latest_and_without_duplicates) {
  const std::string prefix = "/site-a/load/";
  constexpr int total = 5000;
  constexpr int addresses = 100;
  constexpr int chunk = 250;

  auto sub = client_at(b_->port(), "sub-b");
  ASSERT_TRUE(subscribe_live(*sub, 1, prefix + "**"));
  auto writer = client_at(a_->port(), "writer-a");

  observed seen;
  std::map<std::string, revision_t> acked;  // address -> highest ACKed revision
  const auto t0 = std::chrono::steady_clock::now();
  for (int base = 0; base < total; base += chunk) {
    for (int i = base; i < base + chunk; ++i) {
      ASSERT_TRUE(writer->send(make_set(prefix + std::to_string(i % addresses), i), codec::qos::confirm));
    }
    int acks = 0;
    while (acks < chunk) {
      auto m = writer->recv(millis(10000));
      ASSERT_TRUE(m.has_value()) << "writer got only " << base + acks << " ACKs";
      ASSERT_FALSE(m->is<msg::error>()) << test::describe(*m);
      if (!m->is<msg::ack>() || !m->as<msg::ack>().address) continue;
      const auto& a = m->as<msg::ack>();
      auto& slot = acked[*a.address];
      if (a.revision && *a.revision > slot) slot = *a.revision;
      ++acks;
      // Keep the subscriber's socket drained so it is not a slow consumer.
      if (acks % 50 == 0) seen.take(sub->collect(millis(0)), prefix);
    }
    seen.take(sub->collect(millis(0)), prefix);
  }
  const auto sent_ms = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - t0).count();

  // Expected final values: the last write to each address.
  std::map<std::string, int> final_value;
  for (int i = 0; i < total; ++i) final_value[prefix + std::to_string(i % addresses)] = i;
  ASSERT_EQ(acked.size(), static_cast<std::size_t>(addresses));

  auto complete = [&] {
    for (const auto& [a, r] : acked) {
      auto it = seen.latest.find(a);
      if (it == seen.latest.end() || it->second.first < r) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + converge_timeout;
  while (!complete() && std::chrono::steady_clock::now() < deadline) seen.take(sub->collect(millis(100)), prefix);
  // A further window catches late duplicates.
  seen.take(sub->collect(millis(1000)), prefix);
  const auto done_ms = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - t0).count();

  std::size_t missing_latest = 0;
  for (const auto& [a, r] : acked) {
    auto it = seen.latest.find(a);
    if (it == seen.latest.end() || it->second.first != r || it->second.second != value(final_value[a])) {
      if (missing_latest++ < 5)
        ADD_FAILURE() << a << ": expected value " << final_value[a] << " rev " << r << ", subscriber has "
                      << (it == seen.latest.end() ? std::string("nothing")
                                                  : to_string(it->second.second) + " rev " +
                                                        std::to_string(it->second.first));
    }
  }
  std::cout << "[ measure  ] " << total << " SETs at site-a over " << addresses << " addresses: ACKed in " << sent_ms
            << " ms; site-b subscriber got " << seen.updates << " updates (" << total - static_cast<long>(seen.updates)
            << " coalesced), " << seen.duplicates << " duplicates, " << seen.out_of_order
            << " out of order, all latest after " << done_ms << " ms\n";
  EXPECT_EQ(missing_latest, 0u) << "addresses whose latest value never reached site-b";
  EXPECT_EQ(seen.duplicates, 0u) << "same revision delivered twice, first: " << seen.first_duplicate;
  EXPECT_LE(seen.updates, static_cast<std::size_t>(total)) << "more deliveries than writes";

  // GET at site-b agrees for a sample of addresses.
  auto reader = client_at(b_->port(), "reader-b");
  for (int k : {0, 37, 99}) {
    const std::string a = prefix + std::to_string(k);
    auto p = get_param(*reader, a);
    ASSERT_TRUE(p.has_value()) << a;
    EXPECT_EQ(p->val, value(final_value[a])) << a;
    EXPECT_EQ(p->revision, acked[a]) << a;
  }
}

}  // namespace
}  // namespace clasp::fedtest
