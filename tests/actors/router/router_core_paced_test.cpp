// Paced answers walk the table in bounded slices (router_core_paced.cpp), the
// store lock released between them while writes go on. Whatever happens
// between slices, an answer holds exactly the matching records, each at least
// at its revision when it was asked for, each once.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "actors/federation/namespace_registry.hpp"
#include "messages/address.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;

constexpr router::session_id_t writer = 1;
constexpr router::session_id_t reader = 2;
constexpr router::session_id_t link_a = 10;  // leaf-a owns /a/**
constexpr router::session_id_t link_b = 20;  // leaf-b owns /b/**

// Several slices' worth of params (a slice examines ~4,096 records).
constexpr int table_size = 30000;

class RouterCorePaced : public router_core_test {
 protected:
  void SetUp() override {
    attach(writer);
    attach(reader);
    attach(link_a, "leaf-a-session");
    attach(link_b, "leaf-b-session");
    core_.mark_link(link_a, "leaf-a");
    core_.mark_link(link_b, "leaf-b");
    ASSERT_FALSE(registry_.declare_inbound("leaf-a", link_a, {"/a/**"}));
    ASSERT_FALSE(registry_.declare_inbound("leaf-b", link_b, {"/b/**"}));
    core_.set_routing(registry_.build());
  }

  // Local params: every third under /sub/, the rest under /other/.
  void fill() {
    for (int i = 0; i < table_size; ++i) send(writer, set(address_of(i), i), codec::qos::fire);
    clear_all();
  }
  static std::string address_of(int i) {
    return (i % 3 == 0 ? "/sub/p" : "/other/p") + std::to_string(i);
  }

  // Live records matching `pattern` with their revisions now.
  std::map<std::string, revision_t> matching(const std::string& pattern) const {
    std::map<std::string, revision_t> out;
    core_.params().for_each_matching(pattern, 0, false, [&](const std::string& a, const router::param_record& r) {
      out[a] = r.revision;
    });
    return out;
  }

  // Every SNAPSHOT entry a session received, counting repeats.
  static std::map<std::string, std::vector<revision_t>> snapshot_entries(const fake_connection& c) {
    std::map<std::string, std::vector<revision_t>> out;
    for (const auto& s : c.all<msg::snapshot>())
      for (const auto& p : s.params) out[p.address].push_back(p.revision);
    return out;
  }

  // Writes between slices, as the I/O threads do while the store lock is free:
  // updates of existing params (matching and not), new params (matching and
  // not, enough to rehash the table), a removal. Then one pump.
  void pump_while_writing(int round) {
    for (int k = 0; k < 50; ++k) {
      const int i = (round * 50 + k) * 7 % table_size;
      send(writer, set(address_of(i), -i), codec::qos::fire);
      send(writer, set("/sub/new" + std::to_string(round) + "-" + std::to_string(k), k),
           codec::qos::fire);
      send(writer, set("/other/new" + std::to_string(round) + "-" + std::to_string(k), k),
           codec::qos::fire);
    }
    core_.pump_syncs();
  }

  namespace_registry registry_{"hub", {}};
};

TEST_F(RouterCorePaced, SubscriptionSnapshotWhileWritesContinueHasEveryMatchingParamOnce) {
  fill();
  const auto at_subscribe = matching("/sub/**");
  ASSERT_EQ(at_subscribe.size(), static_cast<std::size_t>(table_size / 3));

  send(reader, subscribe(7, "/sub/**"), codec::qos::confirm);
  ASSERT_TRUE(core_.has_pending_syncs()) << "a big snapshot must not be taken in one piece";
  int rounds = 0;
  for (; core_.has_pending_syncs() && rounds < 1000; ++rounds) pump_while_writing(rounds);
  ASSERT_FALSE(core_.has_pending_syncs());
  EXPECT_GT(rounds, 3) << "30,000 records take several slices";

  const auto got = snapshot_entries(conn(reader));
  for (const auto& [address, rev] : at_subscribe) {
    auto it = got.find(address);
    ASSERT_NE(it, got.end()) << address << " was there at subscribe time and is missing";
    ASSERT_EQ(it->second.size(), 1u) << address << " sent more than once";
    EXPECT_GE(it->second.front(), rev) << address << " older than at subscribe time";
  }
  for (const auto& [address, revs] : got) {
    EXPECT_TRUE(pattern_matches("/sub/**", address)) << address << " does not match";
    EXPECT_EQ(revs.size(), 1u) << address << " sent more than once";
  }
  // The ACK follows the last part.
  const auto msgs = conn(reader).messages();
  std::size_t last_snapshot = 0, ack_at = msgs.size();
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    if (msgs[i].is<msg::snapshot>()) last_snapshot = i;
    if (msgs[i].is<msg::ack>()) ack_at = i;
  }
  ASSERT_LT(ack_at, msgs.size()) << "the SUBSCRIBE asked for an ACK";
  EXPECT_GT(ack_at, last_snapshot);
}

TEST_F(RouterCorePaced, SnapshotNeverSendsAValueOlderThanOneAlreadyFannedOut) {
  fill();
  send(reader, subscribe(7, "/sub/**"), codec::qos::fire);
  for (int round = 0; core_.has_pending_syncs() && round < 1000; ++round) pump_while_writing(round);
  // Per address, the revisions the reader saw (live SETs and snapshot entries) in arrival order.
  std::map<std::string, revision_t> newest;
  for (const auto& m : conn(reader).messages()) {
    auto see = [&](const std::string& address, revision_t rev) {
      auto& held = newest[address];
      EXPECT_GE(rev, held) << address << ": a value older than one already received";
      held = std::max(held, rev);
    };
    if (auto s = std::get_if<msg::set>(&m.body)) see(s->address, s->revision.value_or(0));
    if (auto s = std::get_if<msg::snapshot>(&m.body))
      for (const auto& p : s->params) see(p.address, p.revision);
  }
  EXPECT_FALSE(newest.empty());
}

TEST_F(RouterCorePaced, SyncAnswerWhileWritesContinueHasEverythingChangedSinceTheWatermark) {
  for (int i = 0; i < table_size; ++i)
    send(link_a, set("/a/p" + std::to_string(i), i, revision_t{1}), codec::qos::fire);
  // Half of them change after the watermark, one is removed.
  const auto since = core_.params().current_seq();
  std::map<std::string, revision_t> expected;
  for (int i = 0; i < table_size; i += 2) {
    const auto address = "/a/p" + std::to_string(i);
    send(link_a, set(address, -i, revision_t{2}), codec::qos::fire);
    expected[address] = 2;
  }
  send(link_a, router::tombstone_set("/a/p1", 3), codec::qos::fire);
  const auto seq_at_request = core_.params().current_seq();
  clear_all();

  core_.send_sync(link_b, {"/a/**"}, since, core_.incarnation());
  ASSERT_TRUE(core_.has_pending_syncs());
  for (int round = 0; core_.has_pending_syncs() && round < 1000; ++round) {
    // The owner keeps writing between slices.
    send(link_a, set("/a/p" + std::to_string(round * 2), 100 + round, revision_t{3}), codec::qos::fire);
    send(link_a, set("/a/late" + std::to_string(round), 1, revision_t{1}), codec::qos::fire);
    core_.pump_syncs();
  }
  ASSERT_FALSE(core_.has_pending_syncs());

  const auto got = snapshot_entries(conn(link_b));
  for (const auto& [address, rev] : expected) {
    auto it = got.find(address);
    ASSERT_NE(it, got.end()) << address << " changed after the watermark and is missing";
    EXPECT_EQ(it->second.size(), 1u) << address;
    EXPECT_GE(it->second.front(), rev);
  }
  for (const auto& [address, revs] : got) {
    const bool late = address.rfind("/a/late", 0) == 0;
    EXPECT_TRUE(late || expected.count(address)) << address << " did not change after the watermark";
  }
  bool tombstone_sent = false;
  for (const auto& s : conn(link_b).all<msg::set>())
    tombstone_sent = tombstone_sent || (s.address == "/a/p1" && router::is_tombstone_set(s));
  EXPECT_TRUE(tombstone_sent) << "removals since the watermark travel too";
  const auto done = conn(link_b).all<msg::federation_sync>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].op, federation_op::sync_complete);
  EXPECT_EQ(done[0].since_revision, std::optional<std::uint64_t>(seq_at_request))
      << "the watermark is our seq at the request: what came later is the next sync's";
  EXPECT_TRUE(conn(link_b).messages().back().is<msg::federation_sync>());
}

TEST_F(RouterCorePaced, QueryOfABigTableIsSlicedAndOneSessionsResultsStayInOrder) {
  fill();
  msg::query big;
  big.pattern = "/sub/**";
  msg::query small;
  small.pattern = "/other/p1";
  send(reader, big, codec::qos::fire);
  ASSERT_TRUE(core_.has_pending_syncs()) << "a big QUERY must not run in one piece";
  send(reader, small, codec::qos::fire);
  for (int round = 0; core_.has_pending_syncs() && round < 1000; ++round) pump_while_writing(round);

  const auto results = conn(reader).all<msg::result>();
  ASSERT_GE(results.size(), 2u);
  std::set<std::string> listed;
  for (std::size_t i = 0; i + 1 < results.size(); ++i)
    for (const auto& def : results[i].signals) EXPECT_TRUE(listed.insert(def.address).second) << def.address;
  for (int i = 0; i < table_size; i += 3)
    EXPECT_TRUE(listed.count(address_of(i))) << address_of(i) << " missing from the QUERY";
  for (const auto& a : listed) EXPECT_TRUE(pattern_matches("/sub/**", a)) << a;
  ASSERT_EQ(results.back().signals.size(), 1u) << "the second QUERY's answer comes last";
  EXPECT_EQ(results.back().signals[0].address, "/other/p1");
}

TEST_F(RouterCorePaced, RevisionVectorIsComparedInSlices) {
  for (int i = 0; i < 10000; ++i)
    send(link_a, set("/a/p" + std::to_string(i), i, revision_t{5}), codec::qos::fire);
  clear_all();
  msg::federation_sync vec;
  vec.op = federation_op::revision_vector;
  // leaf-b holds every even one at our revision and the odd ones older.
  for (int i = 0; i < 10000; ++i) vec.revisions.emplace_back("/a/p" + std::to_string(i), i % 2 ? 4 : 5);
  send(link_b, vec, codec::qos::fire);
  EXPECT_TRUE(core_.has_pending_syncs()) << "10,000 entries are more than one slice";
  for (int round = 0; core_.has_pending_syncs() && round < 100; ++round) core_.pump_syncs();
  const auto got = snapshot_entries(conn(link_b));
  EXPECT_EQ(got.size(), 5000u);
  for (const auto& [address, revs] : got) {
    EXPECT_EQ(std::stoi(address.substr(4)) % 2, 1) << address << " is not newer here";
    EXPECT_EQ(revs, std::vector<revision_t>{5});
  }
}

TEST_F(RouterCorePaced, ChangedParamsAreTakenInSlicesOldestFirstEachOnce) {
  core_.track_changes(true);
  for (int i = 0; i < 10; ++i) send(writer, set("/c/" + std::to_string(i), i), codec::qos::fire);
  auto first = core_.take_changed_params(4);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0].first, "/c/0");
  EXPECT_EQ(first[3].first, "/c/3");
  EXPECT_EQ(core_.changed_param_count(), 6u);
  send(writer, set("/c/5", 50), codec::qos::fire);  // still listed once
  send(writer, set("/c/0", 0), codec::qos::fire);   // taken already: listed again
  auto rest = core_.take_changed_params(100);
  std::vector<std::string> names;
  for (const auto& [a, rec] : rest) names.push_back(a);
  EXPECT_EQ(names, (std::vector<std::string>{"/c/4", "/c/5", "/c/6", "/c/7", "/c/8", "/c/9", "/c/0"}));
  EXPECT_EQ(rest[1].second.val, value(50)) << "the record as it is when taken";
}

// TTL expiry walks the table in slices too: a call examines at most its
// slots and removes at most its removals, whatever the table holds.
class RouterCoreExpiry : public RouterCorePaced {
 protected:
  // table_size params, slot i holding address_of(i); every third (/sub/) has a 1 s TTL.
  void fill_with_ttls() {
    for (int i = 0; i < table_size; ++i) {
      auto s = set(address_of(i), i);
      if (i % 3 == 0) s.ttl = ttl_spec{false, 1};
      send(writer, s, codec::qos::fire);
    }
    clear_all();
  }
  static constexpr int with_ttl = table_size / 3;
  const std::uint64_t later_ = router::router_core::clock_now_us() + 10'000'000;  // every TTL has passed
};

TEST_F(RouterCoreExpiry, ASliceExaminesAtMostItsSlots) {
  fill_with_ttls();
  const std::size_t live = core_.params().live_count();
  EXPECT_TRUE(core_.expire_due(later_, 1000, SIZE_MAX));
  // Slots 0..999 hold 334 params with a TTL, and nothing beyond them was looked at.
  EXPECT_EQ(live - core_.params().live_count(), 334u);
  EXPECT_NE(core_.params().find_live(address_of(1002)), nullptr);

  // Re-armed between slices (a write with a long TTL): no longer due when the sweep gets there.
  auto rearm = set(address_of(3000), -1);
  rearm.ttl = ttl_spec{false, 3600};
  send(writer, rearm, codec::qos::fire);
  int calls = 1;
  for (bool more = true; more; ++calls) {
    more = core_.expire_due(later_, 1000, SIZE_MAX);
    ASSERT_LT(calls, table_size) << "the sweep never ends";
  }
  EXPECT_EQ(calls, table_size / 1000) << "one call per 1,000 slots";
  EXPECT_EQ(core_.params().live_count(), live - with_ttl + 1);
  EXPECT_NE(core_.params().find_live(address_of(3000)), nullptr);
  EXPECT_EQ(core_.params().find_live(address_of(2997)), nullptr);
}

TEST_F(RouterCoreExpiry, ASliceRemovesAtMostItsRemovalsAndTheNextGoesOnFromThere) {
  fill_with_ttls();
  std::size_t live = core_.params().live_count();
  int calls = 0;
  bool more = true;
  while (more) {
    more = core_.expire_due(later_, SIZE_MAX, 100);
    ++calls;
    ASSERT_EQ(live - core_.params().live_count(), 100u) << "call " << calls;
    live = core_.params().live_count();
  }
  EXPECT_EQ(calls, with_ttl / 100);
  for (int i = 0; i < table_size; i += 3) ASSERT_EQ(core_.params().find_live(address_of(i)), nullptr) << i;
  // The next call starts a new sweep, with nothing due.
  EXPECT_FALSE(core_.expire_due(later_, SIZE_MAX, 100));
  EXPECT_EQ(core_.params().live_count(), live);
}

}  // namespace
}  // namespace clasp::testing
