// /metrics across a federation: peer state gauges, link sessions, sync
// answers and forwarded writes, on a hub with two leaves.
#include "tests/federation/fed_test.hpp"
#include "tests/support/prometheus_text.hpp"

namespace clasp::fedtest {
namespace {

using test::metric_samples;
using test::value_or_zero;

double peer_state(const metric_samples& s, const std::string& peer, const std::string& state) {
  return value_or_zero(s, "clasp_peer_state", {{"peer", peer}, {"state", state}});
}

class metrics_federation : public three_routers {};

TEST_F(metrics_federation, hub_shows_each_leaf_active_and_leaf_shows_the_hub) {
  std::string last;
  EXPECT_TRUE(test::wait_metrics(
      hub_->port(),
      [](const metric_samples& s) {
        return peer_state(s, "site-a", "Active") == 1 && peer_state(s, "site-b", "Active") == 1 &&
               peer_state(s, "site-a", "Syncing") == 0 &&
               value_or_zero(s, "clasp_sessions", {{"role", "inbound_peer"}}) == 2;
      },
      converge_timeout, &last))
      << last;
  EXPECT_TRUE(test::wait_metrics(
      a_->port(),
      [](const metric_samples& s) {
        return peer_state(s, "hub", "Active") == 1 &&
               value_or_zero(s, "clasp_sessions", {{"role", "upstream"}}) == 1 &&
               s.count(test::series("clasp_peer_reconnect_attempts", {{"peer", "hub"}})) == 1;
      },
      converge_timeout, &last))
      << last;
}

TEST_F(metrics_federation, sync_answers_are_counted_with_their_bytes) {
  // Each leaf asked the hub for the other's namespace when its link came up.
  std::string last;
  EXPECT_TRUE(test::wait_metrics(
      hub_->port(),
      [](const metric_samples& s) {
        return value_or_zero(s, "clasp_sync_answer_duration_seconds_count") >= 2 &&
               value_or_zero(s, "clasp_sync_answer_bytes_total") > 0 &&
               value_or_zero(s, "clasp_messages_received_total", {{"type", "FEDERATION_SYNC"}}) >=
                   2;
      },
      converge_timeout, &last))
      << last;
}

TEST_F(metrics_federation, write_into_another_site_counts_as_forwarded) {
  auto c = client_at(a_->port(), "writer");
  const auto before = test::scrape_metrics(a_->port());
  ASSERT_TRUE(before.has_value());
  EXPECT_GT(set_ok(*c, "/site-b/x", 1), 0u) << "the owner acknowledges through the hub";
  const auto after = test::scrape_metrics(a_->port());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(value_or_zero(*after, "clasp_sets_forwarded_total") -
                value_or_zero(*before, "clasp_sets_forwarded_total"),
            1);
  EXPECT_EQ(value_or_zero(*after, "clasp_sets_applied_total") -
                value_or_zero(*before, "clasp_sets_applied_total"),
            0)
      << "site-a does not own /site-b/**";
}

TEST_F(metrics_federation, a_lost_leaf_leaves_active_on_the_hub) {
  b_->kill9();
  std::string last;
  EXPECT_TRUE(test::wait_metrics(
      hub_->port(),
      [](const metric_samples& s) {
        return peer_state(s, "site-b", "Active") == 0 && peer_state(s, "site-a", "Active") == 1;
      },
      converge_timeout, &last))
      << last;
}

TEST_F(metrics_federation, per_peer_messages_move_with_writes_and_sync_lag_is_reported) {
  auto peer_metric = [](const metric_samples& s, const char* name, const std::string& peer) {
    return value_or_zero(s, name, {{"peer", peer}});
  };
  std::string last;
  // Each end asked the other for a sync when the link came up.
  ASSERT_TRUE(test::wait_metrics(
      hub_->port(),
      [&](const metric_samples& s) {
        return peer_state(s, "site-a", "Active") == 1 &&
               s.count(test::series("clasp_peer_sync_lag_seconds", {{"peer", "site-a"}})) == 1;
      },
      converge_timeout, &last))
      << last;
  const auto before = test::parse_metrics(last);
  const double lag = peer_metric(before, "clasp_peer_sync_lag_seconds", "site-a");
  EXPECT_GE(lag, 0);
  EXPECT_LT(lag, 30) << "a healthy link syncs at least every sync interval (30 s)";
  EXPECT_GT(peer_metric(before, "clasp_peer_messages_received_total", "site-a"), 0);
  EXPECT_GT(peer_metric(before, "clasp_peer_messages_sent_total", "site-a"), 0);

  // Writes at site-a reach the hub on site-a's link and leave it on site-b's.
  auto c = client_at(a_->port(), "writer");
  constexpr int n = 20;
  for (int i = 0; i < n; ++i) ASSERT_GT(set_ok(*c, "/site-a/m/" + std::to_string(i), i), 0u);
  const double in_before = peer_metric(before, "clasp_peer_messages_received_total", "site-a");
  const double out_before = peer_metric(before, "clasp_peer_messages_sent_total", "site-b");
  EXPECT_TRUE(test::wait_metrics(
      hub_->port(),
      [&](const metric_samples& s) {
        return peer_metric(s, "clasp_peer_messages_received_total", "site-a") >= in_before + n &&
               peer_metric(s, "clasp_peer_messages_sent_total", "site-b") >= out_before + n;
      },
      converge_timeout, &last))
      << last;
}

TEST_F(metrics_federation, hub_and_leaf_output_passes_promtool) {
  for (auto* r : {hub_.get(), a_.get()}) {
    std::string body;
    ASSERT_TRUE(test::scrape_metrics(r->port(), &body).has_value()) << body;
    auto check = test::promtool_check(body);
    if (!check.available)
      GTEST_SKIP() << "promtool not found on PATH (Debian package `prometheus`)";
    EXPECT_TRUE(check.ok) << check.output << "\n--- metrics ---\n" << body;
  }
}

}  // namespace
}  // namespace clasp::fedtest
