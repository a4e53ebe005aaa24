// GET /metrics on a real router: Prometheus text that promtool accepts, and
// counters and gauges that move with what clients do.
#include <stdlib.h>

#include <filesystem>

#include "tests/integration/router_test.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/prometheus_text.hpp"

namespace clasp::test {
namespace {

using metrics_test = router_test;

metric_samples scrape(std::uint16_t port) {
  std::string error;
  auto s = scrape_metrics(port, &error);
  EXPECT_TRUE(s.has_value()) << error;
  return s.value_or(metric_samples{});
}

double clients(const metric_samples& s) {
  return value_or_zero(s, "clasp_sessions", {{"role", "client"}});
}

TEST_F(metrics_test, answers_prometheus_text_that_promtool_accepts) {
  auto c = client();
  set_ok(*c, "/m/a", 1);
  ASSERT_TRUE(c->send(make_subscribe(1, "/m/**")));
  ASSERT_TRUE(c->send(make_set("bad address", 1), codec::qos::confirm));  // one refusal
  ASSERT_TRUE(c->expect<msg::error>(default_timeout, skip::others).has_value());

  auto r = http_get(router().port(), "/metrics");
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find("# TYPE clasp_messages_received_total counter"), std::string::npos)
      << r.body;
  auto check = promtool_check(r.body);
  if (!check.available)
    GTEST_SKIP() << "promtool not found on PATH (Debian package `prometheus`): format not checked";
  EXPECT_TRUE(check.ok) << "promtool check metrics:\n"
                        << check.output << "\n--- metrics ---\n"
                        << r.body;
}

TEST_F(metrics_test, n_sets_raise_the_set_counters_by_n) {
  auto c = client();
  set_ok(*c, "/warm/up", 0);
  const auto before = scrape(router().port());
  constexpr int n = 25;
  for (int i = 0; i < n; ++i) ASSERT_GT(set_ok(*c, "/n/" + std::to_string(i), i), 0u);
  // Every SET was ACKed, so the store handled it before this scrape.
  const auto after = scrape(router().port());
  auto delta = [&](const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    return value_or_zero(after, name, labels) - value_or_zero(before, name, labels);
  };
  EXPECT_EQ(delta("clasp_messages_received_total", {{"type", "SET"}}), n);
  EXPECT_EQ(delta("clasp_sets_applied_total"), n);
  EXPECT_EQ(delta("clasp_messages_sent_total", {{"type", "ACK"}}), n);
  EXPECT_EQ(delta("clasp_params"), n) << "distinct addresses, each a new param";
  EXPECT_EQ(delta("clasp_refused_total"), 0);
}

TEST_F(metrics_test, refused_messages_are_counted) {
  auto c = client();
  const auto before = scrape(router().port());
  ASSERT_TRUE(c->send(make_set("no-leading-slash", 1), codec::qos::confirm));
  ASSERT_TRUE(c->expect<msg::error>(default_timeout, skip::others).has_value());
  std::uint16_t code = 0;
  EXPECT_FALSE(get_param(*c, "/never/set", &code).has_value());
  const auto after = scrape(router().port());
  EXPECT_EQ(
      value_or_zero(after, "clasp_refused_total") - value_or_zero(before, "clasp_refused_total"),
      2);
  EXPECT_EQ(value_or_zero(after, "clasp_messages_sent_total", {{"type", "ERROR"}}) -
                value_or_zero(before, "clasp_messages_sent_total", {{"type", "ERROR"}}),
            2);
}

TEST_F(metrics_test, sessions_gauge_follows_connects_and_disconnects) {
  const double base = clients(scrape(router().port()));
  auto a = client("a");
  auto b = client("b");
  auto c = client("c");
  std::string last;
  EXPECT_TRUE(wait_metrics(
      router().port(), [&](const metric_samples& s) { return clients(s) == base + 3; },
      default_timeout, &last))
      << last;
  const double attached = value_or_zero(*scrape_metrics(router().port()),
                                        "clasp_sessions_attached_total", {{"role", "client"}});
  EXPECT_GE(attached, 3);

  a->close();
  b->close();
  EXPECT_TRUE(wait_metrics(
      router().port(), [&](const metric_samples& s) { return clients(s) == base + 1; },
      default_timeout, &last))
      << "two closed sessions must leave the gauge: " << last;
  const auto now = scrape(router().port());
  EXPECT_EQ(value_or_zero(now, "clasp_sessions_attached_total", {{"role", "client"}}), attached)
      << "the attached total never goes down";
}

TEST_F(metrics_test, subscriptions_gauge_counts_live_subscriptions) {
  auto c = client();
  auto w = client("writer");
  const double base = value_or_zero(scrape(router().port()), "clasp_subscriptions");
  ASSERT_TRUE(c->send(make_subscribe(1, "/s/**")));
  ASSERT_TRUE(c->send(make_subscribe(2, "/t/x")));
  ASSERT_TRUE(await_live(*c, *w, make_set("/t/x", 1), "/t/x"));
  EXPECT_EQ(value_or_zero(scrape(router().port()), "clasp_subscriptions") - base, 2);
}

TEST_F(metrics_test, transport_counters_move_with_connections_refusals_and_bytes) {
  const auto before = scrape(router().port());
  auto delta = [&](const metric_samples& after, const std::string& name) {
    return value_or_zero(after, name) - value_or_zero(before, name);
  };
  auto c = client("transport");
  const std::string big(2000, 'x');
  ASSERT_GT(set_ok(*c, "/transport/big", value(big)), 0u);
  // One upgrade this router refuses (version 8: 426).
  auto refused = http_get(router().port(), "/",
                          {{"Upgrade", "websocket"},
                           {"Connection", "Upgrade"},
                           {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                           {"Sec-WebSocket-Version", "8"}});
  EXPECT_EQ(refused.status, 426) << refused.error << refused.body;
  const auto after = scrape(router().port());
  // The client, the refused upgrade and this scrape's own connection.
  EXPECT_EQ(delta(after, "clasp_transport_connections_accepted_total"), 3);
  EXPECT_EQ(delta(after, "clasp_transport_websocket_upgrade_failures_total"), 1);
  EXPECT_GE(delta(after, "clasp_transport_received_bytes_total"), big.size());
  EXPECT_GT(delta(after, "clasp_transport_sent_bytes_total"), 0);
  EXPECT_EQ(value_or_zero(after, "clasp_transport_connections_open"),
            value_or_zero(after, "clasp_transport_connections_accepted_total") -
                value_or_zero(after, "clasp_transport_connections_closed_total"));

  // Once the client is gone, only a scrape's own connection is open beyond what was before.
  c->close();
  std::string last;
  EXPECT_TRUE(wait_metrics(
      router().port(),
      [&](const metric_samples& s) {
        return value_or_zero(s, "clasp_transport_connections_open") ==
               value_or_zero(before, "clasp_transport_connections_open");
      },
      default_timeout, &last))
      << last;
}

// A fresh directory for one router's state database, removed afterwards.
class state_dir {
 public:
  state_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "clasp_metrics_db_XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~state_dir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string file() const { return path_ + "/state.db"; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

TEST(metrics_persistence, batches_are_timed_and_sized) {
  state_dir dir;
  ASSERT_TRUE(dir.ok());
  router_process r(
      router_process::server_args({"--state-db", dir.file(), "--persist-interval-ms", "20"}));
  wire_client c;
  ASSERT_TRUE(c.connect(r.port())) << c.last_error();
  c.hello("persist");
  constexpr int n = 40;
  for (int i = 0; i < n; ++i) ASSERT_GT(set_ok(c, "/p/" + std::to_string(i), i), 0u);
  std::string last;
  // Every param written lands in some batch: the batch sizes add up to n.
  EXPECT_TRUE(wait_metrics(
      r.port(),
      [&](const metric_samples& s) {
        return value_or_zero(s, "clasp_persistence_batch_params_sum") >= n &&
               value_or_zero(s, "clasp_persistence_batch_duration_seconds_count") >= 1 &&
               value_or_zero(s, "clasp_persistence_commits_total") >= 1;
      },
      default_timeout, &last))
      << last;
  const auto s = parse_metrics(last);
  EXPECT_EQ(value_or_zero(s, "clasp_persistence_batch_duration_seconds_count"),
            value_or_zero(s, "clasp_persistence_batch_params_count"))
      << "one duration and one size per batch";
  EXPECT_GT(value_or_zero(s, "clasp_persistence_batch_duration_seconds_sum"), 0);
  auto check = promtool_check(last);
  if (check.available) {
    EXPECT_TRUE(check.ok) << check.output;
  }
}

}  // namespace
}  // namespace clasp::test
