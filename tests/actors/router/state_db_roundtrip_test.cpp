// state_db: what is committed comes back exactly after a reopen — every value
// type, tombstones, TTL fields, router id, watermarks, peer namespaces.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "actors/router/state_db.hpp"
#include "temp_dir.hpp"

namespace clasp::router {
namespace {

using testing::make_record;
using testing::temp_dir;

std::unique_ptr<state_db> open_ok(const std::string& path) {
  std::string error;
  auto db = state_db::open(path, error);
  EXPECT_NE(db, nullptr) << error;
  return db;
}

std::map<std::string, param_record> by_address(const persisted_state& s) {
  std::map<std::string, param_record> out;
  for (const auto& [address, rec] : s.params) out[address] = rec;
  return out;
}

void expect_same_record(const param_record& got, const param_record& want) {
  EXPECT_EQ(got.val, want.val) << to_string(got.val) << " vs " << to_string(want.val);
  EXPECT_EQ(got.val.wire_type(), want.val.wire_type());
  EXPECT_EQ(got.revision, want.revision);
  EXPECT_EQ(got.writer, want.writer);
  EXPECT_EQ(got.timestamp_us, want.timestamp_us);
  EXPECT_EQ(got.seq, want.seq);
  EXPECT_EQ(got.tombstone, want.tombstone);
  EXPECT_EQ(got.expires_at_us, want.expires_at_us);
  EXPECT_EQ(got.sliding_ttl_s, want.sliding_ttl_s);
}

std::map<std::string, value> every_value_type() {
  std::string with_nul("a\0b", 3);
  value_map nested{{"z-first", 1},
                   {"a-second", value_array{value(true), value("x"), value(value_map{})}},
                   {"deep", value_map{{"deeper", value_map{{"deepest", value_array{1.5, nullptr}}}}}}};
  return {
      {"/types/null", value(nullptr)},
      {"/types/true", value(true)},
      {"/types/false", value(false)},
      {"/types/i64-min", value(std::numeric_limits<std::int64_t>::min())},
      {"/types/i64-max", value(std::numeric_limits<std::int64_t>::max())},
      {"/types/zero", value(0)},
      {"/types/f64", value(3.141592653589793)},
      {"/types/f64-negzero", value(-0.0)},
      {"/types/f64-inf", value(std::numeric_limits<double>::infinity())},
      {"/types/f64-denorm", value(std::numeric_limits<double>::denorm_min())},
      {"/types/string-empty", value("")},
      {"/types/string-utf8", value("température °C ✓")},
      {"/types/string-nul", value(with_nul)},
      {"/types/bytes", value(byte_string{std::string("\x00\xff\x01\x80", 4)})},
      {"/types/bytes-empty", value(byte_string{})},
      {"/types/array-empty", value(value_array{})},
      {"/types/array", value(value_array{1, 2.5, "three", byte_string{"4"}, nullptr})},
      {"/types/map-nested", value(nested)},
  };
}

TEST(StateDb, FreshFileLoadsEmpty) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  persisted_state s = db->load();
  EXPECT_TRUE(s.router_id.empty());
  EXPECT_EQ(s.change_seq, 0u);
  EXPECT_EQ(s.tombstone_horizon, 0u);
  EXPECT_TRUE(s.params.empty());
  EXPECT_TRUE(s.watermarks.empty());
  EXPECT_TRUE(s.peer_namespaces.empty());
}

TEST(StateDb, EveryValueTypeRoundTripsExactlyAcrossReopen) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto values = every_value_type();
  std::map<std::string, param_record> want;
  {
    auto db = open_ok(dir.file("state.db"));
    ASSERT_NE(db, nullptr);
    change_seq_t seq = 0;
    for (const auto& [address, v] : values) {
      ++seq;
      want[address] = make_record(v, seq, seq * 10);
      db->stage_param(address, want[address]);
    }
    EXPECT_EQ(db->staged(), values.size());
    std::string error;
    ASSERT_TRUE(db->commit(&error)) << error;
    EXPECT_EQ(db->staged(), 0u);
  }
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  persisted_state s = db->load();
  EXPECT_EQ(db->skipped_rows(), 0u);
  EXPECT_EQ(s.change_seq, values.size());
  auto got = by_address(s);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [address, rec] : want) {
    SCOPED_TRACE(address);
    ASSERT_EQ(got.count(address), 1u);
    expect_same_record(got[address], rec);
  }
  // -0.0 == 0.0 under ==; the sign bit must survive too.
  EXPECT_TRUE(std::signbit(std::get<double>(got["/types/f64-negzero"].val.data)));
  // Map keys keep their wire order, not sorted order.
  const auto& m = std::get<value_map>(got["/types/map-nested"].val.data);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].first, "z-first");
}

TEST(StateDb, NanSurvives) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  db->stage_param("/nan", make_record(value(std::nan("")), 1));
  ASSERT_TRUE(db->commit());
  auto s = db->load();
  ASSERT_EQ(s.params.size(), 1u);
  EXPECT_TRUE(std::isnan(std::get<double>(s.params[0].second.val.data)));
}

TEST(StateDb, TombstonesAndTtlFieldsRoundTrip_LocksAreNotPersisted) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  param_record live = make_record(value(21.5), 7, 3);
  live.expires_at_us = 1800000000000000ULL;
  live.sliding_ttl_s = 30;
  param_record gone = make_record(value(nullptr), 8, 4);
  gone.tombstone = true;
  gone.writer = "hub-1";
  {
    auto db = open_ok(dir.file("state.db"));
    ASSERT_NE(db, nullptr);
    db->stage_param("/room/temp", live);
    db->stage_param("/room/gone", gone);
    ASSERT_TRUE(db->commit());
  }
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  auto got = by_address(db->load());
  ASSERT_EQ(got.size(), 2u);
  expect_same_record(got["/room/temp"], live);
  expect_same_record(got["/room/gone"], gone);
  EXPECT_TRUE(got["/room/gone"].tombstone);
}

TEST(StateDb, ParamsLoadInChangeSequenceOrder) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  db->stage_param("/a", make_record(1, 30));
  db->stage_param("/b", make_record(2, 10));
  db->stage_param("/c", make_record(3, 20));
  ASSERT_TRUE(db->commit());
  auto s = db->load();
  ASSERT_EQ(s.params.size(), 3u);
  EXPECT_EQ(s.params[0].first, "/b");
  EXPECT_EQ(s.params[1].first, "/c");
  EXPECT_EQ(s.params[2].first, "/a");
  EXPECT_EQ(s.change_seq, 30u);
}

TEST(StateDb, StagingTheSameAddressTwiceKeepsTheLatest) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  db->stage_param("/x", make_record(value("old"), 1, 1));
  db->stage_param("/x", make_record(value("new"), 2, 2));
  EXPECT_EQ(db->staged(), 1u);
  ASSERT_TRUE(db->commit());
  // A later commit replaces the stored row, including a turn into a tombstone.
  param_record tomb = make_record(value(nullptr), 3, 3);
  tomb.tombstone = true;
  db->stage_param("/x", tomb);
  auto before = by_address(db->load());
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before["/x"].val, value("new"));
  EXPECT_EQ(before["/x"].revision, 2u);
  ASSERT_TRUE(db->commit());
  auto after = by_address(db->load());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after["/x"].tombstone);
  EXPECT_EQ(after["/x"].revision, 3u);
}

TEST(StateDb, RouterIdIsSavedAndReplaced) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  {
    auto db = open_ok(dir.file("state.db"));
    ASSERT_NE(db, nullptr);
    std::string error;
    ASSERT_TRUE(db->save_router_id("leaf-7f3a", &error)) << error;
  }
  {
    auto db = open_ok(dir.file("state.db"));
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->load().router_id, "leaf-7f3a");
    ASSERT_TRUE(db->save_router_id("leaf-renamed"));
  }
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->load().router_id, "leaf-renamed");
}

TEST(StateDb, WatermarksRoundTripAndTheLatestWins) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  {
    auto db = open_ok(dir.file("state.db"));
    ASSERT_NE(db, nullptr);
    db->stage_watermark("hub-1", 10);
    db->stage_watermark("hub-1", 42);
    db->stage_watermark("leaf-2", std::numeric_limits<change_seq_t>::max());
    EXPECT_EQ(db->staged(), 2u);
    ASSERT_TRUE(db->commit());
    db->stage_watermark("leaf-3", 5, 0xfeedfacecafebeefULL);
    ASSERT_TRUE(db->commit());
  }
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  auto s = db->load();
  std::map<std::string, sync_mark> want{{"hub-1", {42, 0}},
                                        {"leaf-2", {std::numeric_limits<change_seq_t>::max(), 0}},
                                        {"leaf-3", {5, 0xfeedfacecafebeefULL}}};
  EXPECT_EQ(s.watermarks, want);
}

TEST(StateDb, PeerNamespacesAreReplacedAsAWholeAndKeepTheirOrder) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  {
    auto db = open_ok(dir.file("state.db"));
    ASSERT_NE(db, nullptr);
    db->stage_peer_namespaces("leaf-a", {"/lab/a/**", "/shared/*", "/zz"});
    db->stage_peer_namespaces("leaf-b", {"/lab/b/**"});
    ASSERT_TRUE(db->commit());
    // Fewer patterns than before: the old extra rows must go.
    db->stage_peer_namespaces("leaf-a", {"/lab/a2/**"});
    ASSERT_TRUE(db->commit());
  }
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  auto s = db->load();
  std::map<std::string, std::vector<std::string>> want{{"leaf-a", {"/lab/a2/**"}},
                                                       {"leaf-b", {"/lab/b/**"}}};
  EXPECT_EQ(s.peer_namespaces, want);

  db->stage_peer_namespaces("leaf-c", {"/c/2", "/c/1", "/c/3"});
  ASSERT_TRUE(db->commit());
  EXPECT_EQ(db->load().peer_namespaces["leaf-c"], (std::vector<std::string>{"/c/2", "/c/1", "/c/3"}));
}

TEST(StateDb, ChangeSeqOnlyRises) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  db->stage_param("/a", make_record(1, 100));
  ASSERT_TRUE(db->commit());
  db->stage_param("/b", make_record(1, 50));  // e.g. an older record re-staged
  ASSERT_TRUE(db->commit());
  EXPECT_EQ(db->load().change_seq, 100u);
  db.reset();
  db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  db->stage_param("/c", make_record(1, 60));
  ASSERT_TRUE(db->commit());
  EXPECT_EQ(db->load().change_seq, 100u);
}

TEST(StateDb, PurgeDropsOnlyOldTombstonesStoredAndStaged) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  auto tomb = [](change_seq_t seq) {
    param_record r = make_record(value(nullptr), seq);
    r.tombstone = true;
    return r;
  };
  db->stage_param("/old-tomb", tomb(3));
  db->stage_param("/new-tomb", tomb(9));
  db->stage_param("/old-live", make_record(1, 2));
  ASSERT_TRUE(db->commit());
  db->stage_param("/staged-old-tomb", tomb(4));
  db->stage_param("/staged-live", make_record(1, 11));

  std::string error;
  ASSERT_TRUE(db->purge_tombstones_before(5, &error)) << error;
  EXPECT_EQ(db->staged(), 1u);
  ASSERT_TRUE(db->commit());
  db.reset();

  db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  auto s = db->load();
  auto got = by_address(s);
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(got.count("/old-tomb"), 0u);
  EXPECT_EQ(got.count("/staged-old-tomb"), 0u);
  EXPECT_EQ(got.count("/new-tomb"), 1u);
  EXPECT_EQ(got.count("/old-live"), 1u);
  EXPECT_EQ(got.count("/staged-live"), 1u);
  // As param_store: the horizon is the highest purged tombstone seq.
  EXPECT_EQ(s.tombstone_horizon, 4u);

  // A purge that removes nothing keeps the horizon.
  ASSERT_TRUE(db->purge_tombstones_before(5));
  EXPECT_EQ(db->load().tombstone_horizon, 4u);
}

TEST(StateDb, CommitWithNothingStagedSucceeds) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->staged(), 0u);
  EXPECT_TRUE(db->commit());
}

TEST(StateDb, ValueTooLargeForOnePayloadIsLeftOutAndCounted) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  db->stage_param("/huge", make_record(value(std::string(70000, 'x')), 1));
  db->stage_param("/fine", make_record(value(std::string(60000, 'y')), 2));
  ASSERT_TRUE(db->commit());
  EXPECT_EQ(db->rejected_values(), 1u);
  auto got = by_address(db->load());
  EXPECT_EQ(got.count("/huge"), 0u);
  ASSERT_EQ(got.count("/fine"), 1u);
  EXPECT_EQ(got["/fine"].val, value(std::string(60000, 'y')));
}

}  // namespace
}  // namespace clasp::router

namespace clasp::router {
namespace {

TEST(StateDb, StagedErasesDeleteRowsBeforeStagedWritesAndMarksOnlyRise) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  db->stage_param("/gone", make_record(1, 1));
  db->stage_param("/back", make_record(1, 2));
  db->stage_param("/kept", make_record(1, 3));
  ASSERT_TRUE(db->commit());

  db->stage_erase("/gone");
  db->stage_erase("/back");
  db->stage_param("/back", make_record(2, 7));  // purged, then written again in the same batch
  db->stage_param("/late", make_record(1, 8));
  db->stage_erase("/late");  // written, then purged before the commit
  db->stage_purge_marks(6, 1'000'000);
  ASSERT_TRUE(db->commit());
  db->stage_purge_marks(2, 5);  // lower marks never replace higher ones
  ASSERT_TRUE(db->commit());
  db.reset();

  db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  auto s = db->load();
  auto got = by_address(s);
  EXPECT_EQ(got.count("/gone"), 0u);
  EXPECT_EQ(got.count("/late"), 0u);
  ASSERT_EQ(got.count("/back"), 1u);
  EXPECT_EQ(got["/back"].val, value(2));
  EXPECT_EQ(got.count("/kept"), 1u);
  EXPECT_EQ(s.tombstone_horizon, 6u);
  EXPECT_EQ(s.revision_floor, 1'000'000u);
}

TEST(StateDb, SyncToDiskCheckpointsTheLog) {
  temp_dir dir;
  ASSERT_TRUE(dir.ok());
  auto db = open_ok(dir.file("state.db"));
  ASSERT_NE(db, nullptr);
  for (int i = 0; i < 500; ++i) db->stage_param("/p/" + std::to_string(i), make_record(i, i + 1));
  ASSERT_TRUE(db->commit());
  const auto wal = dir.file("state.db-wal");
  ASSERT_TRUE(std::filesystem::exists(wal));
  const auto db_size_before = std::filesystem::file_size(dir.file("state.db"));
  std::string error;
  ASSERT_TRUE(db->sync_to_disk(&error)) << error;
  EXPECT_GT(std::filesystem::file_size(dir.file("state.db")), db_size_before)
      << "the checkpoint did not move the committed pages into the database file";
}

}  // namespace
}  // namespace clasp::router
