// render_metrics: each snapshot field lands in the right family and series,
// histograms come out cumulative, and the result passes promtool.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/metrics_render.hpp"
#include "tests/support/prometheus_text.hpp"

namespace clasp::app {
namespace {

using nlohmann::json;
using test::parse_metrics;
using test::sample;

json store_snapshot() {
  return json::parse(R"({
    "params": 12, "tombstones": 3, "subscriptions": 4, "sessions": 3,
    "sessions_by_role": {"client": 2, "inbound_peer": 1, "upstream": 0},
    "sessions_attached": {"client": 9, "inbound_peer": 1, "upstream": 0},
    "sets_applied": 40, "sets_forwarded": 5, "remote_applied": 7, "remote_stale": 2,
    "publishes": 6, "errors_sent": 8,
    "messages_in": {"SET": 45, "SUBSCRIBE": 4},
    "messages_out": {"SET": 90, "ACK": 49},
    "outbound": {"bytes_queued": 1500, "max_bytes_queued": 1000,
                 "frames_coalesced": 11, "frames_dropped": 13},
    "sync_answers": {"bytes": 777,
                     "seconds": {"upper_bounds": [0.01, 0.1], "bucket_counts": [2, 1, 1],
                                 "sum": 1.5, "count": 4}},
    "sync_marks": {"sent": 21, "applied": 17}
  })");
}

json peers_snapshot() {
  return json::parse(R"([
    {"router_id": "site-a", "state": "Active", "reconnect_attempts": 0, "endpoint": "127.0.0.1:1"},
    {"router_id": "site-b", "state": "Failed", "reconnect_attempts": 5, "endpoint": "127.0.0.1:2"}
  ])");
}

std::string render(const json* store, const json* peers = nullptr,
                   const json* persistence = nullptr) {
  return render_metrics({"hub-1", "hub", store, peers, persistence});
}

TEST(MetricsRender, StoreSnapshotFieldsBecomeTheirSeries) {
  const auto store = store_snapshot();
  const auto s = parse_metrics(render(&store));
  EXPECT_EQ(sample(s, "clasp_router_info", {{"router_id", "hub-1"}, {"mode", "hub"}}), 1);
  EXPECT_EQ(sample(s, "clasp_sessions", {{"role", "client"}}), 2);
  EXPECT_EQ(sample(s, "clasp_sessions", {{"role", "inbound_peer"}}), 1);
  EXPECT_EQ(sample(s, "clasp_sessions_attached_total", {{"role", "client"}}), 9);
  EXPECT_EQ(sample(s, "clasp_messages_received_total", {{"type", "SET"}}), 45);
  EXPECT_EQ(sample(s, "clasp_messages_received_total", {{"type", "SUBSCRIBE"}}), 4);
  EXPECT_EQ(sample(s, "clasp_messages_sent_total", {{"type", "ACK"}}), 49);
  EXPECT_EQ(sample(s, "clasp_params"), 12);
  EXPECT_EQ(sample(s, "clasp_tombstones"), 3);
  EXPECT_EQ(sample(s, "clasp_subscriptions"), 4);
  EXPECT_EQ(sample(s, "clasp_sets_forwarded_total"), 5);
  EXPECT_EQ(sample(s, "clasp_refused_total"), 8);
  EXPECT_EQ(sample(s, "clasp_outbound_queued_bytes"), 1500);
  EXPECT_EQ(sample(s, "clasp_outbound_queued_bytes_max"), 1000);
  EXPECT_EQ(sample(s, "clasp_outbound_coalesced_total"), 11);
  EXPECT_EQ(sample(s, "clasp_outbound_dropped_total"), 13);
  EXPECT_EQ(sample(s, "clasp_sync_answer_bytes_total"), 777);
  EXPECT_EQ(sample(s, "clasp_sync_marks_sent_total"), 21);
  EXPECT_EQ(sample(s, "clasp_sync_marks_applied_total"), 17);
}

TEST(MetricsRender, HistogramBucketsAreCumulative) {
  const auto store = store_snapshot();
  const auto s = parse_metrics(render(&store));
  const std::string h = "clasp_sync_answer_duration_seconds";
  EXPECT_EQ(sample(s, h + "_bucket", {{"le", "0.01"}}), 2);
  EXPECT_EQ(sample(s, h + "_bucket", {{"le", "0.1"}}), 3);
  EXPECT_EQ(sample(s, h + "_bucket", {{"le", "+Inf"}}), 4);
  EXPECT_EQ(sample(s, h + "_count"), 4);
  EXPECT_EQ(sample(s, h + "_sum"), 1.5);
}

TEST(MetricsRender, EachPeerHasOneSeriesPerStateWithItsCurrentOneSet) {
  const auto store = store_snapshot();
  const auto peers = peers_snapshot();
  const auto s = parse_metrics(render(&store, &peers));
  EXPECT_EQ(sample(s, "clasp_peer_state", {{"peer", "site-a"}, {"state", "Active"}}), 1);
  EXPECT_EQ(sample(s, "clasp_peer_state", {{"peer", "site-a"}, {"state", "Syncing"}}), 0);
  EXPECT_EQ(sample(s, "clasp_peer_state", {{"peer", "site-b"}, {"state", "Failed"}}), 1);
  EXPECT_EQ(sample(s, "clasp_peer_state", {{"peer", "site-b"}, {"state", "Active"}}), 0);
  EXPECT_EQ(sample(s, "clasp_peer_reconnect_attempts", {{"peer", "site-b"}}), 5);
  EXPECT_EQ(sample(s, "clasp_peers"), 2);
}

TEST(MetricsRender, PersistenceFamiliesOnlyWithASnapshot) {
  const auto store = store_snapshot();
  EXPECT_FALSE(
      sample(parse_metrics(render(&store)), "clasp_persistence_commits_total").has_value());
  const auto persistence = json::parse(R"({"commits": 3, "commit_failures": 1,
      "batch_seconds": {"upper_bounds": [0.001], "bucket_counts": [2, 1], "sum": 0.004, "count": 3},
      "batch_params": {"upper_bounds": [10], "bucket_counts": [1, 2], "sum": 45, "count": 3}})");
  const auto s = parse_metrics(render(&store, nullptr, &persistence));
  EXPECT_EQ(sample(s, "clasp_persistence_commits_total"), 3);
  EXPECT_EQ(sample(s, "clasp_persistence_commit_failures_total"), 1);
  EXPECT_EQ(sample(s, "clasp_persistence_batch_duration_seconds_count"), 3);
  EXPECT_EQ(sample(s, "clasp_persistence_batch_duration_seconds_bucket", {{"le", "0.001"}}), 2);
  EXPECT_EQ(sample(s, "clasp_persistence_batch_params_sum"), 45);
  EXPECT_EQ(sample(s, "clasp_persistence_log_backlog_bytes"), 0) << "absent fields read as 0";
}

TEST(MetricsRender, PersistenceBacklogAndChangeLog) {
  auto store = store_snapshot();
  EXPECT_FALSE(sample(parse_metrics(render(&store)), "clasp_persistence_backlog_params").has_value())
      << "no backlog series without persistence";
  store["persistence_backlog"] = json::parse(
      R"({"changed": 120, "in_flight": 30, "limit": 5000, "seconds_per_row": 2e-6,
          "writes_held_back": 7, "sessions_held": 2})");
  const auto persistence = json::parse(R"({"commits": 1, "log_backlog_bytes": 4096,
      "rows_applied": 900, "log_failures": 0})");
  const auto s = parse_metrics(render(&store, nullptr, &persistence));
  EXPECT_EQ(sample(s, "clasp_persistence_backlog_params"), 150);
  EXPECT_EQ(sample(s, "clasp_persistence_backlog_limit_params"), 5000);
  EXPECT_EQ(sample(s, "clasp_persistence_writes_held_back_total"), 7);
  EXPECT_EQ(sample(s, "clasp_persistence_sessions_held"), 2);
  EXPECT_EQ(sample(s, "clasp_persistence_log_backlog_bytes"), 4096);
  EXPECT_EQ(sample(s, "clasp_persistence_log_rows_applied_total"), 900);
}

TEST(MetricsRender, MissingFieldsRenderAsZero) {
  const json empty = json::object();
  const auto s = parse_metrics(render(&empty));
  EXPECT_EQ(sample(s, "clasp_params"), 0);
  EXPECT_EQ(sample(s, "clasp_sync_answer_duration_seconds_count"), 0);
  EXPECT_EQ(sample(s, "clasp_sync_answer_duration_seconds_bucket", {{"le", "+Inf"}}), 0);
}

TEST(MetricsRender, WrongFieldTypeThrowsInsteadOfGuessing) {
  auto store = store_snapshot();
  store["params"] = "many";
  EXPECT_THROW(render(&store), json::exception);
}

TEST(MetricsRender, HostilePeerNamesAreEscapedAndRepeatedPeersDoNotThrow) {
  const auto store = store_snapshot();
  auto peers = json::array({{{"router_id", "evil\"} 1\nclasp_params 99"}, {"state", "Active"}},
                            {{"router_id", "twice"}, {"state", "Syncing"}},
                            {{"router_id", "twice"}, {"state", "Active"}},
                            {{"router_id", ""}, {"endpoint", "127.0.0.1:9"}, {"state", "Weird"}}});
  std::string text;
  ASSERT_NO_THROW(text = render(&store, &peers));
  EXPECT_EQ(sample(parse_metrics(text), "clasp_params"), 12)
      << "a peer name must not inject samples";
  EXPECT_EQ(sample(parse_metrics(text), "clasp_peer_state",
                   {{"peer", "127.0.0.1:9"}, {"state", "Weird"}}),
            1)
      << "a peer without a router id is named by its endpoint; an unknown state still shows";
  const auto check = test::promtool_check(text);
  if (!check.available) GTEST_SKIP() << "promtool not found on PATH (Debian package `prometheus`)";
  EXPECT_TRUE(check.ok) << check.output << "\n" << text;
}

TEST(MetricsRender, OutputPassesPromtool) {
  const auto store = store_snapshot();
  const auto peers = peers_snapshot();
  const auto check = test::promtool_check(render(&store, &peers));
  if (!check.available) GTEST_SKIP() << "promtool not found on PATH (Debian package `prometheus`)";
  EXPECT_TRUE(check.ok) << check.output;
}

}  // namespace
}  // namespace clasp::app
