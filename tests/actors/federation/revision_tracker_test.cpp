// revision_tracker: per-peer sync watermarks (changes tracked for persistence,
// restore from a previous run) and which revision-vector entries we hold newer.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "actors/federation/revision_tracker.hpp"

namespace clasp::federation {
namespace {

using router::param_record;

param_record record(revision_t rev, std::int64_t v, bool tombstone = false) {
  param_record r;
  r.val = value{v};
  r.revision = rev;
  r.tombstone = tombstone;
  return r;
}

TEST(RevisionTracker, KnowsNoWatermarkBeforeTheFirstSync) {
  revision_tracker t;
  EXPECT_FALSE(t.watermark("site-a").has_value());
  t.record_sync("site-a", {42, 7});
  ASSERT_TRUE(t.watermark("site-a").has_value());
  EXPECT_EQ(t.watermark("site-a")->seq, 42u);
  EXPECT_EQ(t.watermark("site-a")->incarnation, 7u) << "a watermark names the run that issued it";
  EXPECT_FALSE(t.watermark("site-b").has_value());
}

TEST(RevisionTracker, LaterSyncReplacesTheWatermark) {
  revision_tracker t;
  t.record_sync("hub", {10, 1});
  t.record_sync("hub", {7, 2});  // the peer restarted: another run, its own sequence
  EXPECT_EQ(*t.watermark("hub"), (sync_mark{7, 2}));
}

TEST(RevisionTracker, ReportsChangedWatermarksOnlyWhileTracking) {
  revision_tracker t;
  t.record_sync("site-a", {1, 1});
  EXPECT_TRUE(t.take_changed().empty());
  t.track_changes(true);
  t.record_sync("site-a", {5, 1});
  t.record_sync("site-b", {9, 3});
  t.record_sync("site-a", {6, 1});
  auto changed = t.take_changed();
  EXPECT_EQ(changed, (std::map<std::string, sync_mark>{{"site-a", {6, 1}}, {"site-b", {9, 3}}}));
  EXPECT_TRUE(t.take_changed().empty()) << "taking empties the set";
}

TEST(RevisionTracker, RestoredWatermarksAreKnownButNotChanged) {
  revision_tracker t;
  t.track_changes(true);
  t.restore({{"site-a", {100, 4}}, {"hub", {200, 0}}});
  EXPECT_EQ(*t.watermark("site-a"), (sync_mark{100, 4}));
  EXPECT_EQ(t.watermark("hub")->seq, 200u);
  EXPECT_EQ(t.watermarks().size(), 2u);
  EXPECT_TRUE(t.take_changed().empty()) << "what came from disk need not be written back";
}

TEST(RevisionTracker, SendsOnlyEntriesWeHoldNewer) {
  std::map<std::string, param_record> ours{{"/a/newer", record(5, 50)},
                                           {"/a/same", record(3, 30)},
                                           {"/a/older", record(2, 20)},
                                           {"/a/gone", record(8, 0, true)}};
  auto lookup = [&](const std::string& address) -> const param_record* {
    auto it = ours.find(address);
    return it == ours.end() ? nullptr : &it->second;
  };
  std::vector<std::pair<std::string, revision_t>> theirs{
      {"/a/newer", 4}, {"/a/same", 3}, {"/a/older", 7}, {"/a/unknown", 1}, {"/a/gone", 6}};
  auto behind = revision_tracker::newer_than(theirs, lookup);
  ASSERT_EQ(behind.newer.size(), 1u);
  EXPECT_EQ(behind.newer[0].address, "/a/newer");
  EXPECT_EQ(behind.newer[0].revision, 5u);
  EXPECT_EQ(behind.newer[0].val, value{std::int64_t{50}});
  ASSERT_EQ(behind.removed.size(), 1u);
  EXPECT_EQ(behind.removed[0], (std::pair<std::string, revision_t>{"/a/gone", 8}));
}

TEST(RevisionTracker, KeepsThePeersOrderAndHonoursTheLookupsFilter) {
  std::map<std::string, param_record> ours{
      {"/a/1", record(2, 1)}, {"/a/2", record(2, 2)}, {"/b/secret", record(9, 9)}};
  // The caller's lookup hides what the link may not receive.
  auto lookup = [&](const std::string& address) -> const param_record* {
    if (address.rfind("/a/", 0) != 0) return nullptr;
    auto it = ours.find(address);
    return it == ours.end() ? nullptr : &it->second;
  };
  auto behind = revision_tracker::newer_than({{"/a/2", 0}, {"/b/secret", 0}, {"/a/1", 1}}, lookup);
  ASSERT_EQ(behind.newer.size(), 2u);
  EXPECT_EQ(behind.newer[0].address, "/a/2");
  EXPECT_EQ(behind.newer[1].address, "/a/1");
  EXPECT_TRUE(behind.removed.empty());
}

TEST(RevisionTracker, EmptyVectorMeansNothingToSend) {
  auto behind = revision_tracker::newer_than({}, [](const std::string&) -> const param_record* {
    ADD_FAILURE() << "lookup must not be called";
    return nullptr;
  });
  EXPECT_TRUE(behind.newer.empty());
  EXPECT_TRUE(behind.removed.empty());
}

}  // namespace
}  // namespace clasp::federation
