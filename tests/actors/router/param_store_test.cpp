// param_store: revisions, conditional writes, locks, TTL, tombstones and replica updates.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "actors/router/param_store.hpp"

namespace clasp::router {
namespace {

constexpr std::uint64_t sec = 1000000;  // microseconds per second

msg::set make_set(std::string address, value v) {
  msg::set s;
  s.address = std::move(address);
  s.val = std::move(v);
  return s;
}

param_entry remote(std::string address, value v, revision_t rev) {
  param_entry e;
  e.address = std::move(address);
  e.val = std::move(v);
  e.revision = rev;
  e.writer = "leaf-a";
  return e;
}

std::set<std::string> matching(const param_store& store, std::string_view pattern,
                               change_seq_t since, bool tombstones) {
  std::set<std::string> out;
  store.for_each_matching(pattern, since, tombstones,
                          [&](const std::string& a, const param_record&) { out.insert(a); });
  return out;
}

TEST(ParamStore, RevisionsCountLocalWritesPerAddress) {
  param_store store;
  EXPECT_EQ(store.apply_local(make_set("/a", 1), "s1", 10).revision, 1u);
  EXPECT_EQ(store.apply_local(make_set("/a", 2), "s1", 11).revision, 2u);
  EXPECT_EQ(store.apply_local(make_set("/b", 3), "s2", 12).revision, 1u);
  EXPECT_EQ(store.apply_local(make_set("/a", 4), "s2", 13).revision, 3u);
  const auto* rec = store.find("/a");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->val, value(4));
  EXPECT_EQ(rec->revision, 3u);
  EXPECT_EQ(rec->writer, "s2");
  EXPECT_EQ(rec->timestamp_us, 13u);
  EXPECT_EQ(store.live_count(), 2u);
}

TEST(ParamStore, ConditionalSetRefusesARevisionMismatchWith400) {
  param_store store;
  store.apply_local(make_set("/a", 1), "s1", 0);
  store.apply_local(make_set("/a", 2), "s1", 0);
  auto stale = make_set("/a", 99);
  stale.revision = 1;
  auto out = store.apply_local(stale, "s1", 0);
  EXPECT_EQ(out.error, error_code::bad_request);
  EXPECT_NE(out.error_text.find("revision"), std::string::npos) << out.error_text;
  EXPECT_EQ(store.find("/a")->val, value(2));
  EXPECT_EQ(store.find("/a")->revision, 2u);

  auto current = make_set("/a", 3);
  current.revision = 2;
  out = store.apply_local(current, "s1", 0);
  EXPECT_EQ(out.error, 0);
  EXPECT_EQ(out.revision, 3u);
}

TEST(ParamStore, ConditionalSetOnAMissingAddressExpectsRevisionZero) {
  param_store store;
  auto wrong = make_set("/new", 1);
  wrong.revision = 5;
  EXPECT_EQ(store.apply_local(wrong, "s1", 0).error, error_code::bad_request);
  EXPECT_EQ(store.find("/new"), nullptr);
  auto right = make_set("/new", 1);
  right.revision = 0;
  EXPECT_EQ(store.apply_local(right, "s1", 0).error, 0);
}

TEST(ParamStore, CheckLocalChangesNothing) {
  param_store store;
  auto seq = store.current_seq();
  EXPECT_EQ(store.check_local(make_set("/a", 1), "s1").error, 0);
  EXPECT_EQ(store.find("/a"), nullptr);
  EXPECT_EQ(store.current_seq(), seq);
}

TEST(ParamStore, LockRefusesOtherWritersWith401UntilUnlocked) {
  param_store store;
  auto lock = make_set("/fader", 0.5);
  lock.lock = true;
  auto out = store.apply_local(lock, "alice", 0);
  ASSERT_EQ(out.error, 0);
  EXPECT_TRUE(out.lock_changed);
  EXPECT_EQ(store.lock_holder("/fader"), "alice");

  out = store.apply_local(make_set("/fader", 0.9), "bob", 0);
  EXPECT_EQ(out.error, error_code::lock_held);
  EXPECT_EQ(store.find("/fader")->val, value(0.5));

  // Bob cannot unlock it either.
  auto bob_unlock = make_set("/fader", 0.9);
  bob_unlock.unlock = true;
  EXPECT_EQ(store.apply_local(bob_unlock, "bob", 0).error, error_code::lock_held);

  // The holder keeps writing; re-locking does not count as a change.
  out = store.apply_local(lock, "alice", 0);
  EXPECT_EQ(out.error, 0);
  EXPECT_FALSE(out.lock_changed);

  auto unlock = make_set("/fader", 0.6);
  unlock.unlock = true;
  out = store.apply_local(unlock, "alice", 0);
  EXPECT_EQ(out.error, 0);
  EXPECT_TRUE(out.lock_changed);
  EXPECT_TRUE(store.lock_holder("/fader").empty());
  EXPECT_EQ(store.apply_local(make_set("/fader", 0.9), "bob", 0).error, 0);
}

TEST(ParamStore, ReleaseLocksFreesOnlyThatHoldersLocks) {
  param_store store;
  auto lock_a = make_set("/a", 1);
  lock_a.lock = true;
  auto lock_b = make_set("/b", 1);
  lock_b.lock = true;
  store.apply_local(lock_a, "alice", 0);
  store.apply_local(lock_b, "carol", 0);
  store.release_locks("alice");
  EXPECT_TRUE(store.lock_holder("/a").empty());
  EXPECT_EQ(store.lock_holder("/b"), "carol");
  EXPECT_EQ(store.apply_local(make_set("/a", 2), "bob", 0).error, 0);
  EXPECT_EQ(store.apply_local(make_set("/b", 2), "bob", 0).error, error_code::lock_held);
}

// Every due address, the whole table in one slice (a small table: tests only).
std::vector<std::string> due_at(const param_store& store, std::uint64_t now_us) {
  std::vector<std::string> due;
  EXPECT_EQ(store.due_expiries(now_us, 0, store.slot_count(), SIZE_MAX, due), store.slot_count());
  return due;
}

TEST(ParamStore, DueExpiriesLooksOnlyAtItsSlotsAndStopsBeforeTheOneOverItsCount) {
  param_store store;
  for (int i = 0; i < 10; ++i) {
    auto s = make_set("/t" + std::to_string(i), i);
    if (i != 3) s.ttl = ttl_spec{false, 1};  // /t3 never expires
    store.apply_local(s, "s1", 0);
  }
  std::vector<std::string> due;
  EXPECT_EQ(store.due_expiries(5 * sec, 2, 4, SIZE_MAX, due), 6u);
  EXPECT_EQ(due, (std::vector<std::string>{"/t2", "/t4", "/t5"}));
  due.clear();
  // Two due at most: stops at /t7, where the next slice begins.
  EXPECT_EQ(store.due_expiries(5 * sec, 5, 100, 2, due), 7u);
  EXPECT_EQ(due, (std::vector<std::string>{"/t5", "/t6"}));
  due.clear();
  EXPECT_EQ(store.due_expiries(5 * sec, 7, 100, 2, due), 9u);
  EXPECT_EQ(due, (std::vector<std::string>{"/t7", "/t8"}));
  // Nothing with a TTL: the walk is over at once.
  param_store plain;
  for (int i = 0; i < 10; ++i) plain.apply_local(make_set("/p" + std::to_string(i), i), "s1", 0);
  EXPECT_EQ(plain.due_expiries(5 * sec, 0, 1, SIZE_MAX, due), plain.slot_count());
}

TEST(ParamStore, SlidingTtlExpiresAfterItsSecondsAndReArmsOnEachWrite) {
  param_store store;
  auto s = make_set("/t", 1);
  s.ttl = ttl_spec{false, 10};
  store.apply_local(s, "s1", 100 * sec);
  EXPECT_TRUE(due_at(store, 110 * sec - 1).empty());
  EXPECT_EQ(due_at(store, 110 * sec), std::vector<std::string>{"/t"});

  // A later write without a TTL keeps the sliding TTL and re-arms it.
  store.apply_local(make_set("/t", 2), "s1", 105 * sec);
  EXPECT_TRUE(due_at(store, 115 * sec - 1).empty());
  EXPECT_EQ(due_at(store, 115 * sec), std::vector<std::string>{"/t"});
}

TEST(ParamStore, AbsoluteTtlIsSecondsSinceEpochAndNotReArmed) {
  param_store store;
  auto s = make_set("/t", 1);
  s.ttl = ttl_spec{true, 200};
  store.apply_local(s, "s1", 100 * sec);
  store.apply_local(make_set("/t", 2), "s1", 150 * sec);
  EXPECT_TRUE(due_at(store, 200 * sec - 1).empty());
  EXPECT_EQ(due_at(store, 200 * sec), std::vector<std::string>{"/t"});
}

TEST(ParamStore, TtlZeroCancelsAnExpiry) {
  param_store store;
  auto s = make_set("/t", 1);
  s.ttl = ttl_spec{false, 10};
  store.apply_local(s, "s1", 0);
  auto never = make_set("/t", 2);
  never.ttl = ttl_spec{false, 0};
  store.apply_local(never, "s1", 1 * sec);
  EXPECT_TRUE(due_at(store, 1000 * sec).empty());
}

TEST(ParamStore, RemoveLeavesATombstoneWithTheNextRevision) {
  param_store store;
  auto s = make_set("/t", 1);
  s.lock = true;
  s.ttl = ttl_spec{false, 1};
  store.apply_local(s, "s1", 0);
  store.apply_local(make_set("/t", 2), "s1", 0);
  const auto seq_before = store.current_seq();

  auto rev = store.remove("/t", 5 * sec);
  ASSERT_TRUE(rev.has_value());
  EXPECT_EQ(*rev, 3u);
  EXPECT_EQ(store.find_live("/t"), nullptr);
  const auto* tomb = store.find("/t");
  ASSERT_NE(tomb, nullptr);
  EXPECT_TRUE(tomb->tombstone);
  EXPECT_EQ(tomb->revision, 3u);
  EXPECT_TRUE(tomb->val.is_null());
  EXPECT_TRUE(store.lock_holder("/t").empty());
  EXPECT_EQ(tomb->seq, seq_before + 1);
  EXPECT_EQ(store.live_count(), 0u);
  EXPECT_EQ(store.size(), 1u);
  // A tombstone is not due again, and a second removal is a no-op.
  EXPECT_TRUE(due_at(store, 100 * sec).empty());
  EXPECT_FALSE(store.remove("/t", 6 * sec).has_value());
  EXPECT_FALSE(store.remove("/never-set", 6 * sec).has_value());
}

TEST(ParamStore, WritingAfterRemovalContinuesTheRevisionSequence) {
  param_store store;
  store.apply_local(make_set("/t", 1), "s1", 0);
  store.remove("/t", 0);  // revision 2
  auto out = store.apply_local(make_set("/t", 3), "s1", 0);
  EXPECT_EQ(out.error, 0);
  EXPECT_EQ(out.revision, 3u) << "a revision must never be reused after a removal";
  EXPECT_NE(store.find_live("/t"), nullptr);
  EXPECT_EQ(store.live_count(), 1u);
}

TEST(ParamStore, ApplyRemoteAcceptsOnlyNewerRevisions) {
  param_store store;
  EXPECT_TRUE(store.apply_remote(remote("/a/x", 1, 5), false, 0));
  EXPECT_FALSE(store.apply_remote(remote("/a/x", 2, 5), false, 0)) << "duplicate revision applied";
  EXPECT_FALSE(store.apply_remote(remote("/a/x", 3, 4), false, 0)) << "older revision applied";
  EXPECT_EQ(store.find("/a/x")->val, value(1));
  EXPECT_TRUE(store.apply_remote(remote("/a/x", 4, 7), false, 0));
  const auto* rec = store.find("/a/x");
  EXPECT_EQ(rec->val, value(4));
  EXPECT_EQ(rec->revision, 7u);
  EXPECT_EQ(rec->writer, "leaf-a");
  EXPECT_EQ(store.live_count(), 1u);
}

TEST(ParamStore, ApplyRemoteTombstonesFollowTheSameRevisionRule) {
  param_store store;
  store.apply_remote(remote("/a/x", 1, 5), false, 0);
  EXPECT_FALSE(store.apply_remote(remote("/a/x", {}, 4), true, 0)) << "stale tombstone applied";
  EXPECT_NE(store.find_live("/a/x"), nullptr);
  EXPECT_TRUE(store.apply_remote(remote("/a/x", {}, 6), true, 0));
  EXPECT_EQ(store.find_live("/a/x"), nullptr);
  EXPECT_EQ(store.live_count(), 0u);
  // An older live value does not resurrect the removed param; a newer one does.
  EXPECT_FALSE(store.apply_remote(remote("/a/x", 9, 6), false, 0));
  EXPECT_EQ(store.find_live("/a/x"), nullptr);
  EXPECT_TRUE(store.apply_remote(remote("/a/x", 9, 7), false, 0));
  EXPECT_EQ(store.find_live("/a/x")->val, value(9));
  EXPECT_EQ(store.live_count(), 1u);
}

TEST(ParamStore, ApplyRemoteOfAnUnknownTombstoneRecordsIt) {
  param_store store;
  EXPECT_TRUE(store.apply_remote(remote("/a/gone", {}, 3), true, 0));
  EXPECT_EQ(store.find_live("/a/gone"), nullptr);
  ASSERT_NE(store.find("/a/gone"), nullptr);
  EXPECT_EQ(store.find("/a/gone")->revision, 3u);
  EXPECT_EQ(store.live_count(), 0u);
  EXPECT_FALSE(store.apply_remote(remote("/a/gone", 1, 2), false, 0));
}

TEST(ParamStore, ReplicasDoNotExpireOnTheirOwn) {
  param_store store;
  auto s = make_set("/a/x", 1);
  s.ttl = ttl_spec{false, 1};
  store.apply_local(s, "s1", 0);
  store.apply_remote(remote("/a/x", 2, 10), false, 0);
  EXPECT_TRUE(due_at(store, 1000 * sec).empty());
}

TEST(ParamStore, EveryChangeTakesTheNextSeqAndRefusalsTakeNone) {
  param_store store;
  EXPECT_EQ(store.current_seq(), 0u);
  store.apply_local(make_set("/a", 1), "s1", 0);
  EXPECT_EQ(store.find("/a")->seq, 1u);
  store.apply_remote(remote("/b", 1, 4), false, 0);
  EXPECT_EQ(store.find("/b")->seq, 2u);
  store.remove("/a", 0);
  EXPECT_EQ(store.find("/a")->seq, 3u);
  EXPECT_EQ(store.current_seq(), 3u);

  store.apply_remote(remote("/b", 1, 4), false, 0);  // stale
  auto conflict = make_set("/b", 1);
  conflict.revision = 99;
  store.apply_local(conflict, "s1", 0);  // refused
  EXPECT_EQ(store.current_seq(), 3u);
}

TEST(ParamStore, ForEachMatchingFiltersBySinceAndTombstones) {
  param_store store;
  store.apply_local(make_set("/m/a", 1), "s1", 0);    // seq 1
  store.apply_local(make_set("/m/b", 1), "s1", 0);    // seq 2
  store.apply_local(make_set("/other", 1), "s1", 0);  // seq 3
  store.remove("/m/a", 0);                            // seq 4
  store.apply_local(make_set("/m/c/d", 1), "s1", 0);  // seq 5

  EXPECT_EQ(matching(store, "/m/**", 0, false), (std::set<std::string>{"/m/b", "/m/c/d"}));
  EXPECT_EQ(matching(store, "/m/**", 0, true), (std::set<std::string>{"/m/a", "/m/b", "/m/c/d"}));
  EXPECT_EQ(matching(store, "/m/*", 0, true), (std::set<std::string>{"/m/a", "/m/b"}));
  EXPECT_EQ(matching(store, "/m/**", 2, true), (std::set<std::string>{"/m/a", "/m/c/d"}));
  EXPECT_EQ(matching(store, "/m/**", 5, true), std::set<std::string>{});
  EXPECT_EQ(matching(store, "/**", 3, false), std::set<std::string>{"/m/c/d"});
  // Exact addresses follow the same rules.
  EXPECT_EQ(matching(store, "/m/b", 0, false), std::set<std::string>{"/m/b"});
  EXPECT_EQ(matching(store, "/m/b", 2, false), std::set<std::string>{});
  EXPECT_EQ(matching(store, "/m/a", 0, false), std::set<std::string>{});
  EXPECT_EQ(matching(store, "/m/a", 3, true), std::set<std::string>{"/m/a"});
}

TEST(ParamStore, PurgeDropsTombstonesPastTheCutoffAndRecordsTheHorizon) {
  param_store store;
  store.apply_local(make_set("/a", 1), "s1", 0);  // seq 1
  store.apply_local(make_set("/b", 1), "s1", 0);  // seq 2
  store.remove("/a", 10 * sec);                   // seq 3, revision 2
  store.remove("/b", 20 * sec);                   // seq 4
  EXPECT_FALSE(store.purge_tombstones(15 * sec, 100)) << "nothing else is due at 15 s";
  EXPECT_EQ(store.find("/a"), nullptr);
  ASSERT_NE(store.find("/b"), nullptr);
  EXPECT_TRUE(store.find("/b")->tombstone);
  EXPECT_EQ(store.tombstone_horizon(), 3u);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_GE(store.revision_floor(), 3u) << "a purged revision must never be handed out again";
  EXPECT_EQ(store.apply_local(make_set("/a", 5), "s1", 30 * sec).revision, store.revision_floor());
}

TEST(ParamStore, PurgeWorksInSlicesOfTheGivenSize) {
  param_store store;
  for (int i = 0; i < 25; ++i) {
    const std::string a = "/t/" + std::to_string(i);
    store.apply_local(make_set(a, i), "s1", 0);
    store.remove(a, 1 * sec);
  }
  EXPECT_TRUE(store.purge_tombstones(5 * sec, 10)) << "more are due after the first slice";
  EXPECT_EQ(store.size(), 15u);
  EXPECT_TRUE(store.purge_tombstones(5 * sec, 10));
  EXPECT_EQ(store.size(), 5u);
  EXPECT_FALSE(store.purge_tombstones(5 * sec, 10)) << "the last slice empties the queue";
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.queued_tombstones(), 0u);
}

TEST(ParamStore, PurgeKeepsAParamWrittenAgainAfterItsRemoval) {
  param_store store;
  store.apply_local(make_set("/a", 1), "s1", 0);
  store.remove("/a", 1 * sec);
  store.apply_local(make_set("/a", 2), "s1", 2 * sec);  // alive again
  store.remove("/b", 2 * sec);                          // no such param: no tombstone
  EXPECT_FALSE(store.purge_tombstones(100 * sec, 100));
  ASSERT_NE(store.find_live("/a"), nullptr);
  EXPECT_EQ(store.find_live("/a")->val, value(2));
  // Removed again later: the new tombstone waits for its own retention.
  store.remove("/a", 200 * sec);
  EXPECT_FALSE(store.purge_tombstones(150 * sec, 100));
  ASSERT_NE(store.find("/a"), nullptr);
  EXPECT_FALSE(store.purge_tombstones(250 * sec, 100));
  EXPECT_EQ(store.find("/a"), nullptr);
}

TEST(ParamStore, ReplicaTombstonesArePurgedToo) {
  param_store store;
  store.apply_remote(remote("/a/x", 1, 5), false, 0);
  store.apply_remote("/a/x", value{}, 6, "leaf-a", true, 3 * sec);
  EXPECT_FALSE(store.purge_tombstones(4 * sec, 100));
  EXPECT_EQ(store.find("/a/x"), nullptr);
  EXPECT_TRUE(store.apply_remote(remote("/a/x", 2, 1), false, 0))
      << "once forgotten, any revision is news (the owner's next one is above its floor anyway)";
}

TEST(ParamStore, PurgedAddressesAreReportedForPersistence) {
  param_store store;
  store.track_changes(true);
  store.apply_local(make_set("/a", 1), "s1", 0);
  store.apply_remote(remote("/r", 1, 5), false, 0);
  store.apply_remote("/r", value{}, 6, "leaf-a", true, 1 * sec);
  store.remove("/a", 1 * sec);
  store.purge_tombstones(2 * sec, 100);
  EXPECT_EQ(store.find("/r"), nullptr);
  EXPECT_EQ(store.live_count(), 0u);
  EXPECT_EQ(store.take_erased(), (std::vector<std::string>{"/r", "/a"}));
  EXPECT_TRUE(store.take_erased().empty());
  EXPECT_TRUE(store.take_changed().empty()) << "purged records have nothing left to save";
}

TEST(ParamStore, AChangeWhoseSlotWasReusedYieldsTheNewRecordOnly) {
  param_store store;
  store.track_changes(true);
  store.apply_local(make_set("/old", 1), "s1", 0);
  store.take_changed();
  store.remove("/old", 1 * sec);  // listed as changed, then purged: its slot is freed
  store.purge_tombstones(2 * sec, 100);
  store.apply_local(make_set("/new", 2), "s1", 3 * sec);  // takes the freed slot
  auto changed = store.take_changed();
  ASSERT_FALSE(changed.empty());
  for (const auto& [address, rec] : changed) {
    EXPECT_EQ(address, "/new");
    EXPECT_EQ(rec.val, value(2));
  }
  EXPECT_TRUE(store.take_changed().empty()) << "taking clears the list";
}

TEST(ParamStore, NewAddressesStartAtTheRevisionFloor) {
  param_store store;
  const revision_t floor = 1'764'000'000'000'000;  // an incarnation start in microseconds
  store.raise_revision_floor(floor);
  EXPECT_EQ(store.next_revision("/new"), floor);
  EXPECT_EQ(store.apply_local(make_set("/new", 1), "s1", 0).revision, floor);
  EXPECT_EQ(store.apply_local(make_set("/new", 2), "s1", 0).revision, floor + 1);
  // Known records keep counting from what they hold, whatever the floor.
  store.apply_remote(remote("/known", 1, 12), false, 0);
  EXPECT_EQ(store.apply_local(make_set("/known", 2), "s1", 0).revision, 13u);
  store.raise_revision_floor(5);  // never lowered
  EXPECT_EQ(store.revision_floor(), floor);
}

TEST(ParamStore, RevisionsStayBelowTwoToThe53) {
  param_store store;
  store.raise_revision_floor(revision_t{1} << 60);
  EXPECT_EQ(store.revision_floor(), max_revision);
  EXPECT_FALSE(store.apply_remote(remote("/big", 1, max_revision + 1), false, 0))
      << "a replica never takes a revision a JS client cannot read";
  EXPECT_EQ(store.find("/big"), nullptr);
  EXPECT_EQ(store.apply_local(make_set("/a", 1), "s1", 0).revision, max_revision);
  auto out = store.apply_local(make_set("/a", 2), "s1", 0);
  EXPECT_EQ(out.error, error_code::bad_request) << "the revision space of /a is used up";
  EXPECT_EQ(store.find("/a")->revision, max_revision);
}

// A walk over the slots in slices, with inserts (rehashing the table) and
// purges between the slices, as happens while the store lock is released.
TEST(ParamStore, SlotWalkVisitsEveryRecordThatLivesThroughoutExactlyOnce) {
  param_store store;
  for (int i = 0; i < 5000; ++i) store.apply_local(make_set("/w/" + std::to_string(i), i), "s1", 0);
  // Every tenth is removed now and purged mid-walk.
  for (int i = 0; i < 5000; i += 10) store.remove("/w/" + std::to_string(i), 0);
  std::set<std::string> stays;
  for (int i = 0; i < 5000; ++i)
    if (i % 10 != 0) stays.insert("/w/" + std::to_string(i));

  std::map<std::string, int> visits;
  std::size_t next = 0;
  int slice = 0;
  const std::size_t end = store.slot_count();  // as the router's walks do
  while (next < end) {
    next = store.visit_slots(next, std::min<std::size_t>(97, end - next), [&](const std::string& a, const param_record&) {
      ++visits[a];
      return true;
    });
    // Between slices: new records (several rehashes over the walk), a purge
    // that frees slots, which later inserts reuse.
    for (int k = 0; k < 40; ++k)
      store.apply_local(make_set("/new/" + std::to_string(slice) + "-" + std::to_string(k), k), "s1", 0);
    if (slice == 10) store.purge_tombstones(1, 1000);
    ++slice;
  }
  for (const auto& a : stays) EXPECT_EQ(visits[a], 1) << a;
  for (const auto& [a, n] : visits) EXPECT_EQ(n, 1) << a << " visited more than once";
  EXPECT_EQ(store.queued_tombstones(), 0u) << "the purge happened";
}

TEST(ParamStore, SlotWalkStopsBeforeARecordItIsToldToKeep) {
  param_store store;
  for (int i = 0; i < 10; ++i) store.apply_local(make_set("/s/" + std::to_string(i), i), "s1", 0);
  std::vector<std::string> seen;
  auto at = store.visit_slots(0, 10, [&](const std::string& a, const param_record&) {
    if (seen.size() == 3) return false;
    seen.push_back(a);
    return true;
  });
  EXPECT_EQ(at, 3u) << "the next slice starts with the record that was refused";
  at = store.visit_slots(at, 10, [&](const std::string& a, const param_record&) {
    seen.push_back(a);
    return true;
  });
  EXPECT_EQ(at, store.slot_count());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 10u);
}

}  // namespace
}  // namespace clasp::router
