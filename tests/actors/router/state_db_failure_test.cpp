// state_db: open refuses what it cannot use (corrupt file, unwritable place,
// newer schema) with an error that says why; a failed commit keeps its batch.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "actors/router/state_db.hpp"
#include "temp_dir.hpp"

namespace clasp::router {
namespace {

using testing::make_record;
using testing::temp_dir;

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Runs a raw SQL statement through a separate connection (the "other process").
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* msg = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
  sqlite3_free(msg);
  sqlite3_close(db);
}

struct open_result {
  bool opened = false;
  std::string error;
};

// Root ignores file permissions, so as root the attempt runs in a child that
// first drops to an unprivileged user; the outcome comes back through a pipe.
open_result open_without_privileges(const std::string& path, bool& skipped) {
  skipped = false;
  if (geteuid() != 0) {
    open_result r;
    r.opened = state_db::open(path, r.error) != nullptr;
    return r;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    skipped = true;
    return {};
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const uid_t nobody = 65534;
    if (setgid(nobody) != 0 || setuid(nobody) != 0) _exit(2);
    std::string error;
    bool opened = state_db::open(path, error) != nullptr;
    std::string msg = (opened ? "1" : "0") + error;
    ssize_t written = write(fds[1], msg.data(), msg.size());
    _exit(written == static_cast<ssize_t>(msg.size()) ? 0 : 3);
  }
  close(fds[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 2 || msg.empty()) {
    skipped = true;  // could not drop privileges here
    return {};
  }
  return {msg[0] == '1', msg.substr(1)};
}

TEST(StateDbFailure, CorruptFileIsRefusedWithAClearError) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  write_file(path, std::string(8192, '\x5a'));
  std::string error;
  EXPECT_EQ(state_db::open(path, error), nullptr);
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("not a database"), std::string::npos) << error;
  // Nothing was written over the file.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, std::string(8192, '\x5a'));
}

TEST(StateDbFailure, TruncatedDatabaseIsRefused) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    for (int i = 0; i < 2000; ++i) db->stage_param("/p/" + std::to_string(i), make_record(i, i + 1));
    ASSERT_TRUE(db->commit());
  }
  // Keep the valid header but cut the file: the schema pages are now garbage.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  ASSERT_GT(bytes.size(), 4096u);
  std::string damaged = bytes.substr(0, 100) + std::string(bytes.size() - 100, '\x7f');
  write_file(path, damaged);
  std::string error;
  EXPECT_EQ(state_db::open(path, error), nullptr);
  EXPECT_NE(error.find("malformed"), std::string::npos) << error;
}

TEST(StateDbFailure, DamagedDataPageIsCaughtAtOpen) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    for (int i = 0; i < 5000; ++i) db->stage_param("/p/" + std::to_string(i), make_record(i, i + 1));
    ASSERT_TRUE(db->commit());
  }
  // Header and schema page intact; a page in the middle of the params is garbage.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::size_t page = 4096;
  ASSERT_GT(bytes.size(), 20 * page);
  const std::size_t victim = (bytes.size() / page / 2) * page;
  for (std::size_t i = victim; i < victim + page; ++i) bytes[i] = '\x7f';
  write_file(path, bytes);
  std::string error;
  EXPECT_EQ(state_db::open(path, error), nullptr);
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

TEST(StateDbFailure, AnotherProgramsDatabaseIsRefusedAndLeftUntouched) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("other.db");
  raw_exec(path, "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT)");
  std::string error;
  EXPECT_EQ(state_db::open(path, error), nullptr);
  EXPECT_NE(error.find("another program"), std::string::npos) << error;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 1);  // still only its own table
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST(StateDbFailure, ReadOnlyDirectoryIsRefusedWithAClearError) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string ro_dir = dir.file("ro");
  ASSERT_EQ(mkdir(ro_dir.c_str(), 0555), 0);
  chmod(ro_dir.c_str(), 0555);  // whatever the umask did
  chmod(dir.path().c_str(), 0711);  // an unprivileged child may pass through
  const std::string path = ro_dir + "/state.db";
  bool skipped = false;
  open_result r = open_without_privileges(path, skipped);
  if (skipped) GTEST_SKIP() << "cannot run without privileges here";
  EXPECT_FALSE(r.opened);
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("unable to open"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("writable"), std::string::npos) << r.error;
}

TEST(StateDbFailure, ExistingDatabaseInReadOnlyDirectoryIsRefused) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string ro_dir = dir.file("ro");
  ASSERT_EQ(mkdir(ro_dir.c_str(), 0755), 0);
  const std::string path = ro_dir + "/state.db";
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    ASSERT_TRUE(db->save_router_id("r1"));
  }
  // The file itself stays writable, but WAL needs its -wal and -shm siblings.
  chmod(path.c_str(), 0666);
  chmod(ro_dir.c_str(), 0555);
  chmod(dir.path().c_str(), 0711);
  bool skipped = false;
  open_result r = open_without_privileges(path, skipped);
  if (skipped) GTEST_SKIP() << "cannot run without privileges here";
  EXPECT_FALSE(r.opened);
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
}

TEST(StateDbFailure, ReadOnlyFileIsRefused) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
  }
  chmod(path.c_str(), 0444);
  chmod(dir.path().c_str(), 0777);  // the directory is writable: only the file is not
  bool skipped = false;
  open_result r = open_without_privileges(path, skipped);
  if (skipped) GTEST_SKIP() << "cannot run without privileges here";
  EXPECT_FALSE(r.opened);
  EXPECT_NE(r.error.find("read-only"), std::string::npos) << r.error;
}

TEST(StateDbFailure, PathUnderARegularFileIsRefused) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  write_file(dir.file("plain"), "x");
  std::string error;
  EXPECT_EQ(state_db::open(dir.file("plain") + "/state.db", error), nullptr);
  EXPECT_NE(error.find("unable to open"), std::string::npos) << error;
}

TEST(StateDbFailure, NewerSchemaIsRefusedAndLeftUntouched) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    ASSERT_TRUE(db->save_router_id("from-the-future"));
  }
  raw_exec(path, "UPDATE schema_version SET version = " +
                     std::to_string(state_db::schema_version + 1));
  std::string error;
  EXPECT_EQ(state_db::open(path, error), nullptr);
  EXPECT_NE(error.find("schema version " + std::to_string(state_db::schema_version + 1)),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("newer"), std::string::npos) << error;
  // Going back to our version makes it usable again: nothing was changed.
  raw_exec(path, "UPDATE schema_version SET version = " + std::to_string(state_db::schema_version));
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  EXPECT_EQ(db->load().router_id, "from-the-future");
}

TEST(StateDbFailure, VersionOneFileIsMigratedAndItsWatermarksKept) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    db->stage_watermark("hub", 77, 5);
    ASSERT_TRUE(db->commit());
  }
  // What version 1 wrote: watermarks without an incarnation.
  raw_exec(path,
           "ALTER TABLE watermarks DROP COLUMN incarnation; UPDATE schema_version SET version = 1");
  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  auto s = db->load();
  ASSERT_EQ(s.watermarks.count("hub"), 1u);
  EXPECT_EQ(s.watermarks.at("hub"), (sync_mark{77, 0}))
      << "an old watermark reads as from an unknown run";
  db->stage_watermark("hub", 80, 9);
  ASSERT_TRUE(db->commit());
  EXPECT_EQ(db->load().watermarks.at("hub"), (sync_mark{80, 9}));
}

TEST(StateDbFailure, FailedCommitKeepsTheBatchForARetry) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  db->stage_param("/a", make_record(1, 1));
  db->stage_watermark("hub", 3);
  db->stage_peer_namespaces("leaf", {"/x/**"});

  // Another connection holds the write lock: the commit times out busy.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_FALSE(db->commit(&error));
  EXPECT_NE(error.find("locked"), std::string::npos) << error;
  EXPECT_EQ(db->staged(), 3u);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  ASSERT_TRUE(db->commit(&error)) << error;
  EXPECT_EQ(db->staged(), 0u);
  auto s = db->load();
  EXPECT_EQ(s.params.size(), 1u);
  EXPECT_EQ(s.watermarks.at("hub").seq, 3u);
  EXPECT_EQ(s.peer_namespaces.at("leaf"), std::vector<std::string>{"/x/**"});
  EXPECT_EQ(s.change_seq, 1u);
}

TEST(StateDbFailure, UndecodableRowIsSkippedNotFatal) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("state.db");
  {
    std::string error;
    auto db = state_db::open(path, error);
    ASSERT_NE(db, nullptr) << error;
    db->stage_param("/good", make_record(1, 1));
    db->stage_param("/bad", make_record(2, 2));
    ASSERT_TRUE(db->commit());
  }
  raw_exec(path, "UPDATE params SET value = x'21ff' WHERE address = '/bad'");
  std::string error;
  auto db = state_db::open(path, error);
  ASSERT_NE(db, nullptr) << error;
  std::string load_error;
  auto s = db->load(&load_error);
  EXPECT_TRUE(load_error.empty()) << load_error;
  ASSERT_EQ(s.params.size(), 1u);
  EXPECT_EQ(s.params[0].first, "/good");
  EXPECT_EQ(db->skipped_rows(), 1u);
}

}  // namespace
}  // namespace clasp::router
