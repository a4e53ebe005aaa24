// Issue 11 item 3: tombstones live for --tombstone-retention, then are purged
// (from memory and from the state database).
#include <sqlite3.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "tests/federation/fed_test.hpp"
#include "tests/support/http_get.hpp"

namespace clasp::fedtest {
namespace {

json stats_of(std::uint16_t port) {
  auto r = test::http_get(port, "/stats");
  if (r.status != 200) return json();
  return json::parse(r.body, nullptr, false);
}

// Polls /stats until `pred` holds; false after `timeout`.
bool wait_stats(std::uint16_t port, const std::function<bool(const json&)>& pred, millis timeout,
                json* last = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json j;
  do {
    j = stats_of(port);
    if (j.is_object() && pred(j)) return true;
    std::this_thread::sleep_for(millis(50));
  } while (std::chrono::steady_clock::now() < deadline);
  if (last) *last = j;
  return false;
}

msg::set expiring(const std::string& addr, value v, std::uint32_t seconds) {
  auto s = make_set(addr, std::move(v));
  s.ttl = ttl_spec{false, seconds};
  return s;
}

int rows_in(const std::string& db_path) {
  sqlite3* db = nullptr;
  int count = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM params", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      count = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return count;
}

TEST(tombstones, purged_after_the_retention_from_memory_and_disk) {
  std::string dir = (std::filesystem::temp_directory_path() / "clasp_tombstones_XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  router_process router(router_process::server_args(
      {"--data-dir", dir, "--tombstone-retention", "2", "--federation-id", "solo"}));
  auto c = client_at(router.port(), "writer");
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) {
    auto reply = set_reply(*c, expiring("/churn/" + std::to_string(i), i, 1));
    ASSERT_TRUE(reply && reply->is<msg::ack>());
  }
  ASSERT_GT(set_ok(*c, "/kept", 1), 0u);
  json last;
  ASSERT_TRUE(wait_stats(
      router.port(), [](const json& j) { return j["tombstones"] == n; }, millis(5000), &last))
      << "the params did not expire into tombstones: " << last.dump();
  const auto expired_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_stats(
      router.port(), [](const json& j) { return j["tombstones"] == 0; }, millis(8000), &last))
      << "tombstones were kept past the 2 s retention: " << last.dump();
  const auto held =
      std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - expired_at);
  std::cout << "[ measure  ] " << n << " tombstones purged " << held.count()
            << " ms after they were all made\n";
  EXPECT_GE(held.count(), 1000) << "tombstones went long before their retention";
  EXPECT_EQ(stats_of(router.port())["params"], 1);
  // The purge reaches the database too (it is committed with the next batch).
  ASSERT_TRUE(router.terminate().has_value());
  EXPECT_EQ(rows_in(dir + "/state.db"), 1) << "purged tombstones stay in the state database";
  router.restart();
  c = client_at(router.port(), "reader");
  std::uint16_t code = 0;
  EXPECT_FALSE(get_param(*c, "/churn/0", &code).has_value());
  EXPECT_EQ(code, error_code::address_not_found);
  // A purged address starts again above everything it had.
  EXPECT_GT(set_ok(*c, "/churn/0", 5), 1u);
  router.terminate();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// A leaf that keeps its state on disk (leaf_args() turns persistence off).
std::vector<std::string> persistent_leaf_args(std::uint16_t hub_port, const std::string& ns,
                                              const std::string& id, const std::string& dir) {
  return router_process::server_args({"--federation-mode", "leaf", "--federation-hub",
                                      "ws://127.0.0.1:" + std::to_string(hub_port),
                                      "--federation-namespaces", ns, "--federation-id", id,
                                      "--federation-reconnect-delay-ms", "200", "--data-dir", dir,
                                      "--tombstone-retention", "2"});
}

TEST(tombstones, replica_away_longer_than_the_retention_drops_what_the_owner_no_longer_has) {
  std::string dir = (std::filesystem::temp_directory_path() / "clasp_away_XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::vector<std::string> short_retention{"--tombstone-retention", "2"};
  router_process hub(hub_args("hub", short_retention));
  router_process a(leaf_args(hub.port(), "/site-a/**", "site-a", short_retention));
  router_process b(persistent_leaf_args(hub.port(), "/site-b/**", "site-b", dir));
  std::string last;
  ASSERT_TRUE(wait_peers(
      b.port(), [](const json& p) { return peer_active(p, "hub", "/site-a/**"); }, converge_timeout,
      &last))
      << last;

  auto at_a = client_at(a.port(), "owner");
  ASSERT_GT(set_ok(*at_a, "/site-a/kept", 1), 0u);
  auto reply = set_reply(*at_a, expiring("/site-a/gone", 2, 2));
  ASSERT_TRUE(reply && reply->is<msg::ack>());
  auto at_b = client_at(b.port(), "replica");
  ASSERT_TRUE(wait_value(*at_b, "/site-a/gone", 2, converge_timeout));
  ASSERT_TRUE(wait_value(*at_b, "/site-a/kept", 1, converge_timeout));
  at_b.reset();
  std::this_thread::sleep_for(millis(250));  // the SIGKILL promise: B's replica is on disk
  b.kill9();

  // While B is away the param expires at its owner, and the removal is
  // forgotten everywhere once the retention has passed.
  auto at_hub = client_at(hub.port(), "hub-reader");
  ASSERT_TRUE(wait_absent(*at_hub, "/site-a/gone", millis(8000)))
      << "the expiry never reached the hub";
  json stats;
  ASSERT_TRUE(wait_stats(
      hub.port(), [](const json& j) { return j["tombstones"] == 0; }, millis(8000), &stats))
      << "the hub kept the tombstone past its 2 s retention: " << stats.dump();

  b.restart();
  at_b = client_at(b.port(), "replica-again");
  EXPECT_TRUE(wait_absent(*at_b, "/site-a/gone", millis(10000)))
      << "the restarted replica still shows a param its owner removed while it was away";
  auto kept = get_param(*at_b, "/site-a/kept");
  ASSERT_TRUE(kept.has_value()) << "the full resync dropped a param the owner still has";
  EXPECT_EQ(kept->val, value(1));
  b.terminate();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace clasp::fedtest
