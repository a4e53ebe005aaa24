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
  ASSERT_TRUE(wait_stats(router.port(), [](const json& j) { return j["tombstones"] == n; }, millis(5000), &last))
      << "the params did not expire into tombstones: " << last.dump();
  const auto expired_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_stats(router.port(), [](const json& j) { return j["tombstones"] == 0; }, millis(8000), &last))
      << "tombstones were kept past the 2 s retention: " << last.dump();
  const auto held = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - expired_at);
  std::cout << "[ measure  ] " << n << " tombstones purged " << held.count() << " ms after they were all made\n";
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

}  // namespace
}  // namespace clasp::fedtest
