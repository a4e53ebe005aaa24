// state_db: large batches commit in one transaction; prints the throughput and
// the file size per param (measured, not asserted: machines differ).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "actors/router/state_db.hpp"
#include "temp_dir.hpp"

namespace clasp::router {
namespace {

using testing::make_record;
using testing::temp_dir;

// A typical param: a sensor reading under a few path segments.
std::string address_of(std::size_t i) {
  return "/lab/building-" + std::to_string(i % 7) + "/room-" + std::to_string(i) + "/temperature";
}

// Stages n params (seq from first_seq) and returns the commit's seconds.
double stage_and_commit(state_db& db, std::size_t n, change_seq_t first_seq, double offset) {
  for (std::size_t i = 0; i < n; ++i) {
    param_record rec = make_record(value(20.0 + offset + static_cast<double>(i % 100) / 10), first_seq + i);
    rec.writer = "session-4f2a9c";
    db.stage_param(address_of(i), rec);
  }
  EXPECT_EQ(db.staged(), n);
  auto start = std::chrono::steady_clock::now();
  std::string error;
  EXPECT_TRUE(db.commit(&error)) << error;
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(db.staged(), 0u);
  return took.count();
}

void report(const char* what, std::size_t n, double seconds) {
  std::printf("[ measure  ] %s: %zu params in %.1f ms = %.0f params/s\n", what, n, seconds * 1e3,
              static_cast<double>(n) / seconds);
  ::testing::Test::RecordProperty(what, std::to_string(static_cast<long long>(n / seconds)));
}

TEST(StateDbBatch, ThousandParamsInOneCommit) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  std::string error;
  auto db = state_db::open(dir.file("state.db"), error);
  ASSERT_NE(db, nullptr) << error;
  // Several rounds over the same addresses: the store's steady state is updates.
  double first = stage_and_commit(*db, 1000, 1, 0);
  report("insert 1000", 1000, first);
  double total = 0;
  const int rounds = 20;
  for (int r = 1; r <= rounds; ++r) total += stage_and_commit(*db, 1000, 1 + 1000 * r, r);
  report("update 1000 (mean of 20)", 1000, total / rounds);
  auto s = db->load();
  EXPECT_EQ(s.params.size(), 1000u);
  EXPECT_EQ(s.change_seq, 1000u * (rounds + 1));
}

TEST(StateDbBatch, HundredThousandParamsInOneCommitAndReopen) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  const std::size_t n = 100000;
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    report("insert 100000", n, stage_and_commit(*db, n, 1, 0));
    report("update 100000", n, stage_and_commit(*db, n, n + 1, 1));
  }
  // Closing checkpoints the WAL into the main file and removes it.
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  auto bytes = std::filesystem::file_size(path);
  std::printf("[ measure  ] file size: %ju bytes for %zu params = %.1f bytes/param\n",
              static_cast<std::uintmax_t>(bytes), n, static_cast<double>(bytes) / n);
  ::testing::Test::RecordProperty("bytes per param", std::to_string(bytes / n));

  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  auto start = std::chrono::steady_clock::now();
  persisted_state s = db->load();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  report("load 100000", n, took.count());
  ASSERT_EQ(s.params.size(), n);
  EXPECT_EQ(s.change_seq, 2 * n);
  // Ordered by seq; the second round wrote seq n+1+i for address i.
  for (std::size_t i = 0; i < n; i += 997) {
    ASSERT_EQ(s.params[i].first, address_of(i));
    ASSERT_EQ(s.params[i].second.seq, n + 1 + i);
  }
}

}  // namespace
}  // namespace clasp::router
