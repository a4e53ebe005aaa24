// state_db's change log: a logged batch comes back after the process dies
// without applying it, a torn last record is dropped, damage elsewhere (or a
// missing segment) refuses the start, and applied segments are removed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "actors/router/state_db.hpp"
#include "temp_dir.hpp"

namespace clasp::router {
namespace {

using testing::make_record;
using testing::temp_dir;

using batch_params = std::vector<std::pair<std::string, param_record>>;

batch_params params_from(int first, int count, double value_base = 0.5) {
  batch_params out;
  for (int i = first; i < first + count; ++i)
    out.emplace_back("/log/" + std::to_string(i),
                     make_record(value(i * value_base), static_cast<change_seq_t>(i + 1),
                                 static_cast<revision_t>(i + 7)));
  return out;
}

// Logs `batches` batches of 100 params in a child that then dies without
// applying them (as SIGKILL would leave it).
void log_then_die(const std::string& path, int batches) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string error;
    auto db = state_db::open(path, error);
    if (!db) _exit(10);
    for (int b = 0; b < batches; ++b)
      if (!db->log_batch(params_from(b * 100, 100), {}, {{"hub-1", {static_cast<change_seq_t>(b + 1), 9}}},
                         0, 0, &error))
        _exit(11);
    db.release();  // never applied, never closed
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
}

std::string segment(const std::string& path, int n) { return path + ".log." + std::to_string(n); }

TEST(StateDbLog, LoggedBatchesComeBackAfterTheProcessDiedBeforeApplyingThem) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  log_then_die(path, 5);
  ASSERT_TRUE(std::filesystem::exists(segment(path, 1)));

  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  EXPECT_EQ(db->log_backlog_bytes(), 0u) << "open applies the whole log";
  persisted_state s = db->load();
  ASSERT_EQ(s.params.size(), 500u);
  for (const auto& [address, rec] : s.params) {
    const int i = std::stoi(address.substr(5));
    EXPECT_EQ(rec.revision, static_cast<revision_t>(i + 7)) << address;
    EXPECT_EQ(rec.val, value(i * 0.5)) << address;
  }
  EXPECT_EQ(s.watermarks["hub-1"].seq, 5u);
  EXPECT_EQ(s.watermarks["hub-1"].incarnation, 9u);
}

TEST(StateDbLog, LaterBatchesWinAndErasuresApplyInOrder) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  std::string error;
  {
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    ASSERT_TRUE(db->log_batch(params_from(0, 10), {}, {}, 0, 0, &error)) << error;
    ASSERT_TRUE(db->log_batch(params_from(0, 5, 2.0), {"/log/9"}, {}, 0, 0, &error)) << error;
    // Applied in one transaction: the second batch's values win, /log/9 goes.
    ASSERT_TRUE(db->apply_logged(1000, &error)) << error;
    EXPECT_EQ(db->log_backlog_bytes(), 0u);
  }
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  persisted_state s = db->load();
  ASSERT_EQ(s.params.size(), 9u);
  for (const auto& [address, rec] : s.params) {
    const int i = std::stoi(address.substr(5));
    EXPECT_EQ(rec.val, value(i < 5 ? i * 2.0 : i * 0.5)) << address;
  }
}

TEST(StateDbLog, ATornLastRecordIsDroppedAndTheRestKept) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  log_then_die(path, 3);
  const auto full = std::filesystem::file_size(segment(path, 1));
  // The process died in the middle of writing the last record.
  std::filesystem::resize_file(segment(path, 1), full - 100);

  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  EXPECT_EQ(db->load().params.size(), 200u) << "the two whole batches, not the torn third";
}

TEST(StateDbLog, DamageBeforeTheEndRefusesTheStartAndLeavesTheFiles) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  log_then_die(path, 3);
  {
    // A byte inside the first record's payload.
    std::fstream f(segment(path, 1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  const auto size = std::filesystem::file_size(segment(path, 1));
  std::string error;
  auto db = state_db::open(path, error);
  EXPECT_EQ(db, nullptr);
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
  EXPECT_EQ(std::filesystem::file_size(segment(path, 1)), size) << "the log is left as it was";
}

TEST(StateDbLog, AMissingSegmentRefusesTheStart) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  log_then_die(path, 1);
  std::filesystem::copy_file(segment(path, 1), segment(path, 3));
  std::string error;
  EXPECT_EQ(state_db::open(path, error), nullptr);
  EXPECT_NE(error.find("segment 2 is missing"), std::string::npos) << error;
}

TEST(StateDbLog, AppliedSegmentsAreRemovedAfterASyncToDisk) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  // Enough for two segments (64 MiB each): 1,000-param batches with 4 KiB values.
  const std::string big(4096, 'x');
  std::uint64_t seq = 0;
  while (!std::filesystem::exists(segment(path, 2))) {
    batch_params batch;
    for (int i = 0; i < 1000; ++i, ++seq)
      batch.emplace_back("/big/" + std::to_string(seq % 20000), make_record(value(big), seq + 1));
    ASSERT_TRUE(db->log_batch(batch, {}, {}, 0, 0, &error)) << error;
  }
  // Applied into segment 2 (but not all of it): segment 1 goes at the sync.
  const auto second = std::filesystem::file_size(segment(path, 2));
  while (db->log_backlog_bytes() > second - change_log::header_bytes)
    ASSERT_TRUE(db->apply_logged(1000, &error)) << error;
  ASSERT_GT(db->log_backlog_bytes(), 0u);
  ASSERT_TRUE(std::filesystem::exists(segment(path, 1)));
  ASSERT_TRUE(db->sync_to_disk(&error)) << error;
  EXPECT_FALSE(std::filesystem::exists(segment(path, 1))) << "applied and on disk: removed";
  EXPECT_TRUE(std::filesystem::exists(segment(path, 2))) << "not applied in full: kept";
  // All applied: the spent segment gives way to an empty one.
  while (db->log_backlog_bytes() > 0) ASSERT_TRUE(db->apply_logged(5000, &error)) << error;
  ASSERT_TRUE(db->sync_to_disk(&error)) << error;
  EXPECT_FALSE(std::filesystem::exists(segment(path, 2)));
  EXPECT_EQ(std::filesystem::file_size(segment(path, 3)), change_log::header_bytes);
  db.reset();
  auto reopened = state_db::open(path, error);
  ASSERT_NE(reopened, nullptr) << error;
  EXPECT_EQ(reopened->load().params.size(), std::min<std::uint64_t>(seq, 20000));
}

}  // namespace
}  // namespace clasp::router
