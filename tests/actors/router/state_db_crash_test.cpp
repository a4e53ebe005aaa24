// state_db: a process that dies right after commit() (no close, no WAL
// checkpoint) loses nothing it committed, and nothing it only staged leaks in.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "actors/router/state_db.hpp"
#include "temp_dir.hpp"

namespace clasp::router {
namespace {

using testing::make_record;
using testing::temp_dir;

constexpr int committed_params = 5000;

// The child's work. Exit codes say which step failed.
[[noreturn]] void commit_then_die(const std::string& path) {
  std::string error;
  auto db = state_db::open(path, error);
  if (!db) _exit(10);
  if (!db->save_router_id("leaf-crashy")) _exit(11);
  for (int i = 0; i < committed_params; ++i)
    db->stage_param("/crash/" + std::to_string(i), make_record(value(i * 0.5), i + 1));
  db->stage_watermark("hub-1", 77);
  db->stage_peer_namespaces("leaf-x", {"/x/**"});
  if (!db->commit(&error)) _exit(12);
  // Staged but never committed: must not appear after the crash.
  db->stage_param("/crash/uncommitted", make_record(value(-1), committed_params + 1));
  db->stage_watermark("hub-1", 99);
  db.release();  // deliberately never closed
  _exit(0);
}

TEST(StateDbCrash, CommittedDataSurvivesAProcessThatExitsWithoutClosing) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) commit_then_die(path);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  // The data is still only in the WAL: the reopen has to recover from it.
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
  EXPECT_GT(std::filesystem::file_size(path + "-wal"), 0u);

  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  persisted_state s = db->load();
  EXPECT_EQ(s.router_id, "leaf-crashy");
  EXPECT_EQ(s.change_seq, static_cast<change_seq_t>(committed_params));
  ASSERT_EQ(s.params.size(), static_cast<std::size_t>(committed_params));
  for (std::size_t i = 0; i < s.params.size(); ++i) {
    // Loaded by seq, and seq i+1 was written for address i.
    ASSERT_EQ(s.params[i].first, "/crash/" + std::to_string(i));
    ASSERT_EQ(s.params[i].second.val, value(static_cast<double>(i) * 0.5));
  }
  EXPECT_EQ(s.watermarks.at("hub-1").seq, 77u);
  EXPECT_EQ(s.peer_namespaces.at("leaf-x"), std::vector<std::string>{"/x/**"});

  // And the recovered file keeps working.
  db->stage_param("/after", make_record(value("ok"), committed_params + 2));
  ASSERT_TRUE(db->commit(&error)) << error;
  EXPECT_EQ(db->load().params.size(), static_cast<std::size_t>(committed_params + 1));
}

}  // namespace
}  // namespace clasp::router
