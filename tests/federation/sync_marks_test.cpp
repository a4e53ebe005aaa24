// Sync marks end to end: after a bulk change that reached every router live,
// anti-entropy rounds send what changed since, not the table again.
#include <cstdio>
#include <thread>
#include <tuple>

#include "tests/federation/fed_test.hpp"
#include "tests/support/prometheus_text.hpp"

namespace clasp::fedtest {
namespace {

using test::metric_samples;
using test::value_or_zero;

constexpr int bulk = 5000;
constexpr int window = 250;  // writes in flight at once

// Anti-entropy every 2 s: several rounds fit in the test, and a mark (sent at
// most every 500 ms) lands between two of them.
class sync_marks : public three_routers {
 protected:
  sync_marks() {
    hub_extra_ = {"--federation-sync-interval-ms", "2000"};
    leaf_extra_ = hub_extra_;
  }

  // Sum over the three routers: bytes of sync answers, answers sent.
  std::pair<double, double> answers_everywhere() {
    double bytes = 0, count = 0;
    for (auto* r : {hub_.get(), a_.get(), b_.get()}) {
      auto s = test::scrape_metrics(r->port());
      EXPECT_TRUE(s.has_value()) << "no /metrics on port " << r->port();
      if (!s) continue;
      bytes += value_or_zero(*s, "clasp_sync_answer_bytes_total");
      count += value_or_zero(*s, "clasp_sync_answer_duration_seconds_count");
    }
    return {bytes, count};
  }
};

TEST_F(sync_marks, anti_entropy_after_a_bulk_change_does_not_resend_it) {
  auto writer = client_at(a_->port(), "bulk-writer");
  for (int base = 0; base < bulk; base += window) {
    for (int i = base; i < base + window; ++i)
      ASSERT_TRUE(writer->send(make_set("/site-a/bulk/" + std::to_string(i), i), codec::qos::confirm));
    for (int acks = 0; acks < window;) {
      auto m = writer->recv(millis(10000));
      ASSERT_TRUE(m.has_value()) << "writer got only " << base + acks << " ACKs";
      ASSERT_FALSE(m->is<msg::error>()) << test::describe(*m);
      if (m->is<msg::ack>()) ++acks;
    }
  }
  auto reader = client_at(b_->port(), "reader-b");
  const std::string last = "/site-a/bulk/" + std::to_string(bulk - 1);
  ASSERT_TRUE(wait_value(*reader, last, value{std::int64_t{bulk - 1}}, converge_timeout))
      << "the bulk change never reached site-b";

  // The hub relays the bulk to site-b and got it from site-a: each side that
  // asked for it gets a mark past it.
  std::string seen;
  for (auto* r : {hub_.get(), b_.get()})
    EXPECT_TRUE(test::wait_metrics(
        r->port(), [](const metric_samples& s) { return value_or_zero(s, "clasp_sync_marks_applied_total") > 0; },
        converge_timeout, &seen))
        << "no sync mark moved a watermark on port " << r->port() << "\n" << seen;
  EXPECT_TRUE(test::wait_metrics(
      a_->port(), [](const metric_samples& s) { return value_or_zero(s, "clasp_sync_marks_sent_total") > 0; },
      converge_timeout, &seen))
      << "site-a, whose change sequence moved, sent no mark\n" << seen;

  // Marks that arrive from now on were sent after the bulk had gone out. One
  // more write makes sure one is sent on each link that carried the bulk; a
  // mark that lands while an anti-entropy request of the receiver is still
  // out is left to that request's SyncComplete, so write again until one
  // moved a watermark on both.
  auto applied = [](std::uint16_t port) {
    auto s = test::scrape_metrics(port);
    EXPECT_TRUE(s.has_value()) << "no /metrics on port " << port;
    return s ? value_or_zero(*s, "clasp_sync_marks_applied_total") : 0.0;
  };
  const double hub_applied = applied(hub_->port()), b_applied = applied(b_->port());
  bool marked = false;
  for (int round = 0; round < 10 && !marked; ++round) {
    EXPECT_GT(set_ok(*writer, "/site-a/bulk/after", round), 0u);
    marked = true;
    for (auto [r, before] : {std::pair{hub_.get(), hub_applied}, std::pair{b_.get(), b_applied}})
      marked = test::wait_metrics(
                   r->port(),
                   [&](const metric_samples& s) {
                     return value_or_zero(s, "clasp_sync_marks_applied_total") > before;
                   },
                   millis(3000), &seen) &&
               marked;
  }
  ASSERT_TRUE(marked) << "after ten writes, still no mark past the bulk moved a watermark on the hub "
                         "and on site-b\n"
                      << seen;

  // Two anti-entropy rounds of every link: four routers ask on each round
  // (hub -> a, hub -> b, a -> hub, b -> hub).
  const auto [bytes_before, count_before] = answers_everywhere();
  const auto deadline = std::chrono::steady_clock::now() + millis(15000);
  double bytes_after = bytes_before, count_after = count_before;
  while (count_after < count_before + 8 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(millis(200));  // polling /metrics, not synchronising
    std::tie(bytes_after, count_after) = answers_everywhere();
  }
  ASSERT_GE(count_after, count_before + 8) << "fewer anti-entropy answers than two rounds of four";
  std::printf("anti-entropy after a bulk of %d: %.0f answers, %.0f bytes\n", bulk, count_after - count_before,
              bytes_after - bytes_before);
  // Each of the 5,000 params is at least 20 bytes on the wire: re-sending the
  // bulk even once would be 100 KB. Empty answers are a few dozen bytes each.
  EXPECT_LT(bytes_after - bytes_before, 20000.0)
      << "anti-entropy re-sent the bulk change: " << bytes_after - bytes_before << " bytes in "
      << count_after - count_before << " answers";
}

}  // namespace
}  // namespace clasp::fedtest
