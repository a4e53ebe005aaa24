// router_core, sync across restarts and long outages: watermarks tied to the
// incarnation that issued them, tombstones purged after the retention, and the
// complete full answer that lets a replica drop what the owner no longer has.
#include <gtest/gtest.h>

#include "actors/federation/namespace_registry.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;

constexpr router::session_id_t client = 1;
constexpr router::session_id_t link_a = 10;  // leaf-a owns /a/**
constexpr router::session_id_t link_b = 20;  // leaf-b replicates it
constexpr std::uint64_t our_incarnation = 1111;
constexpr std::uint64_t sec = 1000000;

std::optional<std::uint64_t> field(const msg::federation_sync& m, const std::string& key) {
  for (const auto& [k, v] : m.revisions)
    if (k == key) return v;
  return std::nullopt;
}

msg::federation_sync request(std::vector<std::string> patterns, std::optional<std::uint64_t> since,
                             std::optional<std::uint64_t> incarnation) {
  msg::federation_sync r;
  r.op = federation_op::request_sync;
  r.patterns = std::move(patterns);
  r.since_revision = since;
  if (incarnation) r.revisions.emplace_back("incarnation", *incarnation);
  return r;
}

// The hub's view: leaf-a's state arrives on link_a, leaf-b asks for it.
class RouterCoreResyncAnswer : public router_core_test {
 protected:
  RouterCoreResyncAnswer() : router_core_test(hub_config()) {}
  static router::router_config hub_config() {
    auto cfg = config();
    cfg.incarnation = our_incarnation;
    cfg.tombstone_retention_us = 10 * sec;
    return cfg;
  }
  void SetUp() override {
    attach(link_a, "leaf-a-session");
    attach(link_b, "leaf-b-session");
    core_.mark_link(link_a, "leaf-a");
    core_.mark_link(link_b, "leaf-b");
    ASSERT_FALSE(registry_.declare_inbound("leaf-a", link_a, {"/a/**"}));
    ASSERT_FALSE(registry_.declare_inbound("leaf-b", link_b, {"/b/**"}));
    core_.set_routing(registry_.build());
  }
  // The SyncComplete that ended the answer on link_b, and how many entries came before it.
  msg::federation_sync answer(std::size_t* entries = nullptr) {
    std::size_t n = 0;
    for (const auto& s : conn(link_b).all<msg::snapshot>()) n += s.params.size();
    n += conn(link_b).all<msg::set>().size();
    if (entries) *entries = n;
    auto done = conn(link_b).all<msg::federation_sync>();
    EXPECT_FALSE(done.empty());
    return done.empty() ? msg::federation_sync{} : done.back();
  }
  namespace_registry registry_{"hub", {}};
};

TEST_F(RouterCoreResyncAnswer, SyncCompleteNamesOurIncarnation) {
  send(link_a, set("/a/1", 1, revision_t{5}), codec::qos::fire);
  core_.send_sync(link_b, {"/a/**"}, 0);
  auto done = answer();
  EXPECT_EQ(field(done, "incarnation"), std::optional<std::uint64_t>(our_incarnation));
}

TEST_F(RouterCoreResyncAnswer, WatermarkOfThisRunGetsOnlyWhatChanged) {
  send(link_a, set("/a/1", 1, revision_t{5}), codec::qos::fire);
  const auto mark = core_.params().current_seq();
  send(link_a, set("/a/2", 1, revision_t{5}), codec::qos::fire);
  clear_all();
  send(link_b, request({"/a/**"}, mark, our_incarnation), codec::qos::fire);
  std::size_t entries = 0;
  auto done = answer(&entries);
  EXPECT_EQ(entries, 1u);
  EXPECT_FALSE(field(done, "complete").has_value()) << "an incremental answer is not complete";
}

TEST_F(RouterCoreResyncAnswer, WatermarkOfAnotherRunGetsEverythingEvenIfItLooksCurrent) {
  // The seq a clock stepped back could hand out again: without the incarnation
  // it would look like "nothing changed".
  send(link_a, set("/a/1", 1, revision_t{5}), codec::qos::fire);
  send(link_a, set("/a/2", 1, revision_t{5}), codec::qos::fire);
  clear_all();
  send(link_b, request({"/a/**"}, core_.params().current_seq(), our_incarnation + 1),
       codec::qos::fire);
  std::size_t entries = 0;
  auto done = answer(&entries);
  EXPECT_EQ(entries, 2u);
  EXPECT_FALSE(field(done, "complete").has_value())
      << "we cannot vouch for state from before our own start (a crash may have lost some)";
}

TEST_F(RouterCoreResyncAnswer, WatermarkFromBeforePurgedTombstonesGetsACompleteFullAnswer) {
  send(link_a, set("/a/1", 1, revision_t{5}), codec::qos::fire);
  const auto old_mark = core_.params().current_seq();
  send(link_a, set("/a/gone", 1, revision_t{5}), codec::qos::fire);
  send(link_a, router::tombstone_set("/a/gone", 6), codec::qos::fire);
  EXPECT_FALSE(core_.purge_tombstones(router::router_core::clock_now_us() + 20 * sec, 100));
  ASSERT_EQ(core_.params().find("/a/gone"), nullptr);
  ASSERT_GT(core_.params().tombstone_horizon(), old_mark);
  // Our own sync from leaf-a's side completed: we hold what the owner has.
  core_.request_sync(link_a, {"/a/**"});
  msg::federation_sync from_owner;
  from_owner.op = federation_op::sync_complete;
  from_owner.patterns = {"/a/**"};
  from_owner.since_revision = 1;
  send(link_a, from_owner, codec::qos::fire);
  clear_all();
  send(link_b, request({"/a/**"}, old_mark, our_incarnation), codec::qos::fire);
  std::size_t entries = 0;
  auto done = answer(&entries);
  EXPECT_EQ(entries, 1u) << "everything we still have: /a/1";
  EXPECT_EQ(field(done, "complete"), std::optional<std::uint64_t>(1));
}

// A relay that has not completed a sync from the owner's side since its link
// came up (it may have just restarted) may hold nothing yet: its full answer
// must not make the requester drop what it has.
TEST_F(RouterCoreResyncAnswer, RelayNotYetSyncedFromTheOwnerGivesNoCompleteAnswer) {
  send(link_a, set("/a/1", 1, revision_t{5}), codec::qos::fire);
  clear_all();
  send(link_b, request({"/a/**"}, 0, our_incarnation), codec::qos::fire);
  auto done = answer();
  EXPECT_FALSE(field(done, "complete").has_value());
}

// A mesh relay (found by the line-of-five soak): its link to "mid" has long
// completed syncs of mid's own namespace when mid starts to advertise a route to
// "far" (a partition further along heals). Until a sync of far's namespace
// completes on that link the relay may hold none of it, so a full answer for it
// must not be flagged complete: the requester would drop everything it holds
// of far's namespace, as tombstones that outrank far's values.
class RouterCoreResyncMeshRelay : public router_core_test {
 protected:
  RouterCoreResyncMeshRelay() : router_core_test(relay_config()) {}
  static router::router_config relay_config() {
    auto cfg = config();
    cfg.router_id = "relay";
    cfg.incarnation = our_incarnation;
    return cfg;
  }
  void SetUp() override {
    attach(link_a, "mid-session");
    attach(link_b, "edge-session");
    core_.mark_link(link_a, "mid");
    core_.mark_link(link_b, "edge");
    const federation::neighbour_hello ours{true, 1000};
    ASSERT_FALSE(registry_.declare_inbound("mid", link_a, {"/m/**"}, ours));
    ASSERT_FALSE(registry_.declare_inbound("edge", link_b, {"/e/**"}, ours));
    core_.set_routing(registry_.build());
    synced_from_mid({"/m/**"});
  }
  // mid starts (or stops) leading to far.
  void mid_routes_to_far(bool reachable) {
    federation::route_advert far{"far", {}, {}, 0};
    if (reachable) far = {"far", {"/f/**"}, {"mid", "far"}, 900};
    ASSERT_FALSE(registry_.advertise(link_a, far));
    core_.set_routing(registry_.build());
  }
  // Our request for `patterns` on link_a, answered (empty) by mid.
  void synced_from_mid(std::vector<std::string> patterns) {
    core_.request_sync(link_a, patterns);
    msg::federation_sync done;
    done.op = federation_op::sync_complete;
    done.patterns = std::move(patterns);
    done.since_revision = 1;
    done.revisions.emplace_back("incarnation", 55);
    send(link_a, done, codec::qos::fire);
  }
  // The SyncComplete of edge's full request for far's namespace (edge holds a
  // watermark of our run, so only our own state decides the flag).
  msg::federation_sync edge_asks_for_far() {
    clear_all();
    send(link_b, request({"/f/**"}, 0, our_incarnation), codec::qos::fire);
    auto done = conn(link_b).all<msg::federation_sync>();
    EXPECT_EQ(done.size(), 1u);
    return done.empty() ? msg::federation_sync{} : done.back();
  }
  namespace_registry registry_{"relay", {}};
};

TEST_F(RouterCoreResyncMeshRelay, NamespaceNewOnALinkIsNotCompleteBeforeItsOwnSync) {
  mid_routes_to_far(true);
  EXPECT_FALSE(field(edge_asks_for_far(), "complete").has_value())
      << "a sync of mid's namespace says nothing about far's";
  synced_from_mid({"/f/**"});
  EXPECT_EQ(field(edge_asks_for_far(), "complete"), std::optional<std::uint64_t>(1));
}

TEST_F(RouterCoreResyncMeshRelay, RouteThatLeftAndCameBackNeedsANewSync) {
  mid_routes_to_far(true);
  synced_from_mid({"/f/**"});
  mid_routes_to_far(false);  // far unreachable for a while: its changes pass us by
  mid_routes_to_far(true);
  EXPECT_FALSE(field(edge_asks_for_far(), "complete").has_value())
      << "the sync from before the route left is stale";
  synced_from_mid({"/f/**"});
  EXPECT_EQ(field(edge_asks_for_far(), "complete"), std::optional<std::uint64_t>(1));
}

// The replica's view: a leaf holding /b/** from its hub.
class RouterCoreResyncReplica : public router_core_test {
 protected:
  RouterCoreResyncReplica() : router_core_test(leaf_config()) {}
  static router::router_config leaf_config() {
    auto cfg = config();
    cfg.router_id = "leaf-a";
    return cfg;
  }
  void SetUp() override {
    attach(client);
    attach(upstream, "hub-session");
    core_.mark_link(upstream, "hub");
    registry_.attach_upstream("hub", upstream);
    registry_.declare_upstream("hub", upstream, {"/b/**"});
    core_.set_routing(registry_.build());
    send(upstream, set("/b/kept", 1, revision_t{3}), codec::qos::fire);
    send(upstream, set("/b/gone", 2, revision_t{4}), codec::qos::fire);
    send(client, set("/a/mine", 3));  // our own: never dropped by a replica sweep
    send(client, subscribe(1, "/**"));
    clear_all();
  }
  void complete_answer(std::vector<param_entry> entries, bool complete) {
    msg::snapshot snap;
    snap.params = std::move(entries);
    send(upstream, snap, codec::qos::fire);
    msg::federation_sync done;
    done.op = federation_op::sync_complete;
    done.patterns = {"/b/**", "/a/**"};
    done.since_revision = 900;
    done.revisions.emplace_back("incarnation", 77);
    if (complete) done.revisions.emplace_back("complete", 1);
    send(upstream, done, codec::qos::fire);
  }
  static constexpr router::session_id_t upstream = 7;
  namespace_registry registry_{"leaf-a", {"/a/**"}};
};

TEST_F(RouterCoreResyncReplica, RequestCarriesTheWatermarkAndItsIncarnation) {
  complete_answer({}, false);
  clear_all();
  core_.request_sync(upstream, {"/b/**"});
  auto reqs = conn(upstream).all<msg::federation_sync>();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].since_revision, std::optional<std::uint64_t>(900));
  EXPECT_EQ(field(reqs[0], "incarnation"), std::optional<std::uint64_t>(77));
}

TEST_F(RouterCoreResyncReplica, CompleteAnswerDropsWhatItDidNotContain) {
  core_.request_sync(upstream, {"/b/**"});
  send(upstream, set("/b/live", 9, revision_t{1}),
       codec::qos::fire);  // a live update during the sync
  clear_all();
  complete_answer({{"/b/kept", 1, 3, std::nullopt, std::nullopt}}, true);
  EXPECT_NE(core_.params().find_live("/b/kept"), nullptr) << "confirmed by the answer";
  EXPECT_NE(core_.params().find_live("/b/live"), nullptr) << "arrived after the request went out";
  EXPECT_NE(core_.params().find_live("/a/mine"), nullptr) << "our own namespace is never swept";
  const auto* gone = core_.params().find("/b/gone");
  ASSERT_NE(gone, nullptr);
  EXPECT_TRUE(gone->tombstone) << "the owner no longer has it";
  EXPECT_EQ(gone->revision, 5u) << "removed one above the value, like the owner's own removal";
  EXPECT_EQ(core_.params().find_live("/b/gone"), nullptr);
  EXPECT_TRUE(conn(upstream).all<msg::set>().empty()) << "never sent back towards the owner";
}

TEST_F(RouterCoreResyncReplica, IncompleteOrUnaskedAnswersDropNothing) {
  core_.request_sync(upstream, {"/b/**"});
  complete_answer({}, false);
  EXPECT_NE(core_.params().find_live("/b/gone"), nullptr)
      << "a full answer without the flag proves nothing";
  // A complete answer to a request we never made: we cannot know what it covered.
  complete_answer({}, true);
  EXPECT_NE(core_.params().find_live("/b/gone"), nullptr);
  EXPECT_NE(core_.params().find_live("/b/kept"), nullptr);
}

// Over a big table the sweep runs in slices (the store lock is released
// between them); what changes meanwhile is not dropped.
TEST_F(RouterCoreResyncReplica, CompleteAnswerSweepsABigTableInSlices) {
  for (int i = 0; i < 20000; ++i)
    send(upstream, set("/b/n" + std::to_string(i), i, revision_t{2}), codec::qos::fire);
  core_.request_sync(upstream, {"/b/**"});
  clear_all();
  complete_answer({{"/b/kept", 1, 3, std::nullopt, std::nullopt}}, true);
  ASSERT_TRUE(core_.has_pending_syncs()) << "20,000 records are several slices";
  send(upstream, set("/b/n19999", -1, revision_t{3}), codec::qos::fire);  // changed between slices
  for (int round = 0; core_.has_pending_syncs() && round < 100; ++round) core_.pump_syncs();
  ASSERT_FALSE(core_.has_pending_syncs());
  EXPECT_NE(core_.params().find_live("/b/kept"), nullptr);
  EXPECT_NE(core_.params().find_live("/b/n19999"), nullptr) << "updated after the request went out";
  EXPECT_NE(core_.params().find_live("/a/mine"), nullptr);
  std::size_t live = 0;
  for (int i = 0; i < 20000; ++i) live += core_.params().find_live("/b/n" + std::to_string(i)) ? 1 : 0;
  EXPECT_EQ(live, 1u) << "every other unconfirmed replica entry is gone";
  EXPECT_EQ(core_.params().find_live("/b/gone"), nullptr);
}

}  // namespace
}  // namespace clasp::testing
