// router_core, federation side, with routing tables built by namespace_registry:
// owner updates from links, forwarding writes to their owner, refusals, sync
// answers and revision vectors.
#include <gtest/gtest.h>

#include "actors/federation/namespace_registry.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;

constexpr router::session_id_t client = 1;
constexpr router::session_id_t watcher = 2;
constexpr router::session_id_t link_a = 10;  // leaf-a owns /a/**
constexpr router::session_id_t link_b = 20;  // leaf-b owns /b/**

// A hub with two leaves and two local clients; `watcher` subscribes to everything.
class RouterCoreFederation : public router_core_test {
 protected:
  void SetUp() override {
    attach(client);
    attach(watcher);
    attach(link_a, "leaf-a-session");
    attach(link_b, "leaf-b-session");
    core_.mark_link(link_a, "leaf-a");
    core_.mark_link(link_b, "leaf-b");
    ASSERT_FALSE(registry_.declare_inbound("leaf-a", link_a, {"/a/**"}));
    ASSERT_FALSE(registry_.declare_inbound("leaf-b", link_b, {"/b/**"}));
    core_.set_routing(registry_.build());
    send(watcher, subscribe(1, "/**"));
    clear_all();
  }

  // An owner's numbered update arriving on a link.
  void owner_update(router::session_id_t link, std::string address, value v, revision_t rev,
                    codec::qos q = codec::qos::fire) {
    send(link, set(std::move(address), std::move(v), rev), q);
  }

  // Fills the hub with leaf-a state: /a/1 r1, /a/2 r2, /a/3 removed at r2, /a/4 r1.
  // Returns the change seq before the last three changes.
  router::change_seq_t seed_history() {
    owner_update(link_a, "/a/1", 1, 1);
    owner_update(link_a, "/a/2", 1, 1);
    owner_update(link_a, "/a/3", 1, 1);
    const auto since = core_.params().current_seq();
    owner_update(link_a, "/a/2", 2, 2);
    send(link_a, router::tombstone_set("/a/3", 2), codec::qos::fire);
    owner_update(link_a, "/a/4", 1, 1);
    return since;
  }

  namespace_registry registry_{"hub", {}};
};

TEST_F(RouterCoreFederation, OwnerUpdateIsAppliedAndFannedOutToAllButItsLink) {
  owner_update(link_a, "/a/x", 5, 3, codec::qos::confirm);
  const auto* rec = core_.params().find_live("/a/x");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->val, value(5));
  EXPECT_EQ(rec->revision, 3u) << "a replica keeps the owner's revision";
  EXPECT_EQ(rec->writer, "leaf-a");
  EXPECT_EQ(core_.counters().remote_applied, 1u);

  auto w = conn(watcher).all<msg::set>();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].revision, std::optional<revision_t>(3));
  auto b = conn(link_b).all<msg::set>();
  ASSERT_EQ(b.size(), 1u) << "leaf-b's interest covers every namespace reachable through the hub";
  EXPECT_EQ(b[0].address, "/a/x");
  EXPECT_EQ(b[0].revision, std::optional<revision_t>(3));
  EXPECT_TRUE(conn(link_a).all<msg::set>().empty()) << "never sent back to the link it came from";
  auto acks = conn(link_a).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].revision, std::optional<revision_t>(3));
  EXPECT_TRUE(conn(client).frames().empty());
}

TEST_F(RouterCoreFederation, StaleOwnerUpdateIsNeitherAppliedNorFannedOut) {
  owner_update(link_a, "/a/x", 5, 3);
  clear_all();
  owner_update(link_a, "/a/x", 6, 3, codec::qos::confirm);  // duplicate
  owner_update(link_a, "/a/x", 7, 2, codec::qos::confirm);  // reordered
  EXPECT_EQ(core_.params().find("/a/x")->val, value(5));
  EXPECT_EQ(core_.counters().remote_stale, 2u);
  EXPECT_TRUE(conn(watcher).frames().empty());
  EXPECT_TRUE(conn(link_b).frames().empty());
  auto acks = conn(link_a).all<msg::ack>();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].revision, std::optional<revision_t>(3)) << "the ACK tells the revision held";
}

TEST_F(RouterCoreFederation, OwnerTombstoneRemovesTheReplicaAndTravelsOn) {
  owner_update(link_a, "/a/x", 5, 3);
  clear_all();
  send(link_a, router::tombstone_set("/a/x", 2), codec::qos::fire);  // older: ignored
  EXPECT_NE(core_.params().find_live("/a/x"), nullptr);
  send(link_a, router::tombstone_set("/a/x", 4), codec::qos::fire);
  EXPECT_EQ(core_.params().find_live("/a/x"), nullptr);
  auto b = conn(link_b).all<msg::set>();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(router::is_tombstone_set(b[0]));
  EXPECT_EQ(b[0].revision, std::optional<revision_t>(4));
  EXPECT_TRUE(conn(link_a).frames().empty());
}

TEST_F(RouterCoreFederation, ClientSetIntoARemoteNamespaceIsForwardedAndTheOwnersAckRelayed) {
  send(client, set("/a/x", 7));
  EXPECT_EQ(core_.params().find("/a/x"), nullptr) << "a non-owner must not apply the write";
  EXPECT_EQ(core_.counters().sets_forwarded, 1u);
  ASSERT_EQ(conn(link_a).frames().size(), 1u);
  const auto& fwd = conn(link_a).frames()[0].decoded;
  ASSERT_TRUE(fwd.msg.is<msg::set>());
  EXPECT_EQ(fwd.msg.as<msg::set>().address, "/a/x");
  EXPECT_EQ(fwd.msg.as<msg::set>().val, value(7));
  EXPECT_EQ(fwd.header.quality, codec::qos::confirm) << "the owner must answer a forwarded write";
  EXPECT_TRUE(conn(link_b).frames().empty());
  EXPECT_TRUE(conn(watcher).frames().empty());
  EXPECT_TRUE(conn(client).frames().empty()) << "no ACK before the owner answered";

  msg::ack owner_ack;
  owner_ack.address = "/a/x";
  owner_ack.revision = 4;
  send(link_a, owner_ack, codec::qos::fire);
  auto acks = conn(client).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].address, std::optional<std::string>("/a/x"));
  EXPECT_EQ(acks[0].revision, std::optional<revision_t>(4));

  // The owner's numbered update then reaches everyone.
  owner_update(link_a, "/a/x", 7, 4);
  EXPECT_EQ(conn(watcher).all<msg::set>().size(), 1u);
  EXPECT_EQ(core_.params().find("/a/x")->revision, 4u);
}

TEST_F(RouterCoreFederation, TheOwnersErrorIsRelayedToTheWriter) {
  send(client, set("/a/locked", 1));
  msg::error refusal;
  refusal.code = error_code::lock_held;
  refusal.message = "locked";
  refusal.address = "/a/locked";
  send(link_a, refusal, codec::qos::fire);
  auto e = only_error(conn(client));
  EXPECT_EQ(e.code, error_code::lock_held);
  EXPECT_EQ(e.address, std::optional<std::string>("/a/locked"));
}

TEST_F(RouterCoreFederation, FireQosWriterGetsNoRelayedAck) {
  send(client, set("/a/x", 1), codec::qos::fire);
  msg::ack owner_ack;
  owner_ack.address = "/a/x";
  owner_ack.revision = 1;
  send(link_a, owner_ack, codec::qos::fire);
  EXPECT_TRUE(conn(client).frames().empty());
}

TEST_F(RouterCoreFederation, WriteToANamespaceWhoseOwnerIsGoneGets501) {
  registry_.link_closed(link_a);
  core_.set_routing(registry_.build());
  send(client, set("/a/x", 1));
  auto e = only_error(conn(client));
  EXPECT_EQ(e.code, error_code::unavailable);
  EXPECT_EQ(e.address, std::optional<std::string>("/a/x"));
  EXPECT_EQ(core_.params().find("/a/x"), nullptr) << "refused rather than applied locally";
  EXPECT_TRUE(conn(link_a).frames().empty());
  EXPECT_TRUE(conn(watcher).frames().empty());
}

TEST_F(RouterCoreFederation, WriteViaALinkWithoutASessionGets501) {
  core_.detach(link_a);  // the session is gone before the registry heard of it
  send(client, set("/a/x", 1));
  EXPECT_EQ(only_error(conn(client)).code, error_code::unavailable);
}

TEST_F(RouterCoreFederation, LinkSetOutsideEveryNamespaceGets403) {
  owner_update(link_a, "/nobody/x", 1, 1, codec::qos::confirm);
  auto e = only_error(conn(link_a));
  EXPECT_EQ(e.code, error_code::federation_refused);
  EXPECT_EQ(core_.params().find("/nobody/x"), nullptr);
  EXPECT_TRUE(conn(watcher).frames().empty());
  EXPECT_TRUE(conn(link_b).frames().empty());
}

TEST_F(RouterCoreFederation, LinkSetIntoAnotherPeersNamespaceIsForwardedNotApplied) {
  send(link_b, set("/a/x", 3), codec::qos::confirm);
  EXPECT_EQ(core_.params().find("/a/x"), nullptr);
  EXPECT_TRUE(conn(watcher).frames().empty());
  ASSERT_EQ(conn(link_a).all<msg::set>().size(), 1u);
  msg::ack owner_ack;
  owner_ack.address = "/a/x";
  owner_ack.revision = 9;
  send(link_a, owner_ack, codec::qos::fire);
  auto acks = conn(link_b).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].revision, std::optional<revision_t>(9));
}

TEST_F(RouterCoreFederation, ClosingTheOwnerLinkFailsPendingWritesWith501) {
  send(client, set("/a/x", 1));
  core_.detach(link_a);
  auto e = only_error(conn(client));
  EXPECT_EQ(e.code, error_code::unavailable);
}

TEST_F(RouterCoreFederation, UnansweredForwardsTimeOutWith502) {
  send(client, set("/a/x", 1));
  core_.fail_stale_forwards(0);  // long before the deadline
  EXPECT_TRUE(conn(client).frames().empty());
  core_.fail_stale_forwards(~std::uint64_t{0});
  EXPECT_EQ(only_error(conn(client)).code, error_code::timeout);
  // A late ACK after the timeout is not relayed.
  conn(client).clear();
  msg::ack late;
  late.address = "/a/x";
  send(link_a, late, codec::qos::fire);
  EXPECT_TRUE(conn(client).frames().empty());
}

TEST_F(RouterCoreFederation, LinkPublishReachesEveryoneButItsLinkAndIsNotStored) {
  send(link_a, event("/a/hit", 1), codec::qos::fire);
  EXPECT_EQ(conn(watcher).all<msg::publish>().size(), 1u);
  EXPECT_EQ(conn(link_b).all<msg::publish>().size(), 1u);
  EXPECT_TRUE(conn(link_a).frames().empty());
  EXPECT_EQ(core_.params().size(), 0u);
}

TEST_F(RouterCoreFederation, LinkSnapshotIsAcceptedOnlyFromTheOwnersSide) {
  msg::snapshot snap;
  snap.params.push_back({"/a/1", 1, 5, std::nullopt, std::nullopt});
  snap.params.push_back({"/b/1", 1, 5, std::nullopt, std::nullopt});  // leaf-b's, not leaf-a's
  snap.params.push_back({"/nobody", 1, 5, std::nullopt, std::nullopt});
  send(link_a, snap, codec::qos::fire);
  ASSERT_NE(core_.params().find_live("/a/1"), nullptr);
  EXPECT_EQ(core_.params().find("/a/1")->revision, 5u);
  EXPECT_EQ(core_.params().find("/b/1"), nullptr);
  EXPECT_EQ(core_.params().find("/nobody"), nullptr);
  EXPECT_EQ(conn(link_b).all<msg::set>().size(), 1u);
}

TEST_F(RouterCoreFederation, BundleIntoARemoteNamespaceIsRefusedWhole) {
  msg::bundle b;
  b.messages.push_back(set("/local", 1));
  b.messages.push_back(set("/a/x", 2));
  send(client, b);
  EXPECT_EQ(only_error(conn(client)).code, error_code::bad_request);
  EXPECT_EQ(core_.params().find("/local"), nullptr);
  EXPECT_TRUE(conn(link_a).frames().empty());
}

TEST_F(RouterCoreFederation, SendSyncSendsOnlyWhatChangedSinceThenSyncComplete) {
  const auto since = seed_history();
  clear_all();
  core_.send_sync(link_b, {"/a/**"}, since, core_.incarnation());
  const auto msgs = conn(link_b).messages();
  ASSERT_FALSE(msgs.empty());
  std::map<std::string, revision_t> live;
  std::map<std::string, revision_t> removed;
  for (std::size_t i = 0; i + 1 < msgs.size(); ++i) {
    if (msgs[i].is<msg::snapshot>()) {
      for (const auto& p : msgs[i].as<msg::snapshot>().params) live[p.address] = p.revision;
    } else {
      ASSERT_TRUE(msgs[i].is<msg::set>()) << "unexpected message " << to_string(msgs[i].type());
      const auto& s = msgs[i].as<msg::set>();
      EXPECT_TRUE(router::is_tombstone_set(s));
      removed[s.address] = s.revision.value_or(0);
    }
  }
  EXPECT_EQ(live, (std::map<std::string, revision_t>{{"/a/2", 2}, {"/a/4", 1}}))
      << "/a/1 did not change after `since` and must not be re-sent";
  EXPECT_EQ(removed, (std::map<std::string, revision_t>{{"/a/3", 2}}));
  ASSERT_TRUE(msgs.back().is<msg::federation_sync>());
  const auto& done = msgs.back().as<msg::federation_sync>();
  EXPECT_EQ(done.op, federation_op::sync_complete);
  EXPECT_EQ(done.since_revision, std::optional<std::uint64_t>(core_.params().current_seq()));
  EXPECT_EQ(done.origin, std::optional<std::string>("hub"));
}

// A bare since-revision (no incarnation beside it: another implementation's
// router) means what PROTOCOL.md says: only params with a newer revision.
TEST_F(RouterCoreFederation, BareSinceRevisionSendsOnlyNewerRevisions) {
  seed_history();  // /a/1 r1, /a/2 r2, /a/3 tombstone r2, /a/4 r1
  clear_all();
  core_.send_sync(link_b, {"/a/**"}, 1);
  std::map<std::string, revision_t> live;
  for (const auto& s : conn(link_b).all<msg::snapshot>())
    for (const auto& p : s.params) live[p.address] = p.revision;
  EXPECT_EQ(live, (std::map<std::string, revision_t>{{"/a/2", 2}}));
  auto sets = conn(link_b).all<msg::set>();
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].address, "/a/3");
  EXPECT_TRUE(router::is_tombstone_set(sets[0]));

  clear_all();
  core_.send_sync(link_b, {"/a/**"}, 2);
  std::size_t entries = 0;
  for (const auto& s : conn(link_b).all<msg::snapshot>()) entries += s.params.size();
  EXPECT_EQ(entries, 0u);
  EXPECT_TRUE(conn(link_b).all<msg::set>().empty());
  ASSERT_FALSE(conn(link_b).messages().empty());
  EXPECT_TRUE(conn(link_b).messages().back().is<msg::federation_sync>());
}

// PROTOCOL.md: the answer is "SNAPSHOT(s) ... and then a SyncComplete"; with
// nothing changed that is one empty SNAPSHOT, so a peer waiting for a SNAPSHOT
// first is never left guessing.
TEST_F(RouterCoreFederation, SendSyncWhenNothingChangedIsAnEmptySnapshotThenSyncComplete) {
  seed_history();
  clear_all();
  core_.send_sync(link_b, {"/a/**"}, core_.params().current_seq(), core_.incarnation());
  const auto msgs = conn(link_b).messages();
  ASSERT_EQ(msgs.size(), 2u);
  ASSERT_TRUE(msgs[0].is<msg::snapshot>());
  EXPECT_TRUE(msgs[0].as<msg::snapshot>().params.empty());
  EXPECT_TRUE(msgs[1].is<msg::federation_sync>());
}

TEST_F(RouterCoreFederation, SendSyncFromAFutureWatermarkSendsEverything) {
  seed_history();
  clear_all();
  core_.send_sync(link_b, {"/a/**"}, core_.params().current_seq() + 100, core_.incarnation());
  std::size_t entries = 0;
  for (const auto& s : conn(link_b).all<msg::snapshot>()) entries += s.params.size();
  EXPECT_EQ(entries, 3u) << "/a/1, /a/2, /a/4 after a watermark we never reached (we restarted)";
  EXPECT_EQ(conn(link_b).all<msg::set>().size(), 1u) << "plus the /a/3 tombstone";
}

// A big answer must leave the link's socket room to drain: it stops once about
// 256 KiB are queued, whoever pumps it, and goes on only when the queue shrank.
TEST_F(RouterCoreFederation, LargeSyncAnswerWaitsForTheLinkQueueToDrain) {
  const std::string payload(200, 'x');
  constexpr int params = 10000;  // ~2.2 MB of answer
  for (int i = 0; i < params; ++i) owner_update(link_a, "/a/p" + std::to_string(i), value{payload}, 1);
  clear_all();
  conn(link_b).hold(true);

  core_.send_sync(link_b, {"/a/**"}, 0);
  auto entries = [&] {
    std::size_t n = 0;
    for (const auto& s : conn(link_b).all<msg::snapshot>()) n += s.params.size();
    return n;
  };
  auto queued = conn(link_b).stats().bytes_queued;
  EXPECT_GE(queued, 256u * 1024);
  EXPECT_LT(queued, 256u * 1024 + 65536) << "one part over the budget at most";
  EXPECT_LT(entries(), static_cast<std::size_t>(params));
  EXPECT_TRUE(conn(link_b).all<msg::federation_sync>().empty()) << "no SyncComplete before the end";
  EXPECT_TRUE(core_.has_pending_syncs());

  EXPECT_TRUE(core_.pump_syncs());
  EXPECT_EQ(conn(link_b).stats().bytes_queued, queued) << "nothing more while the queue is full";

  int pumps = 0;
  while (core_.has_pending_syncs() && pumps < 1000) {
    conn(link_b).drain();
    core_.pump_syncs();
    EXPECT_LT(conn(link_b).stats().bytes_queued, 256u * 1024 + 65536);
    ++pumps;
  }
  EXPECT_GT(pumps, 5);
  EXPECT_EQ(entries(), static_cast<std::size_t>(params));
  ASSERT_EQ(conn(link_b).all<msg::federation_sync>().size(), 1u);
  EXPECT_TRUE(conn(link_b).messages().back().is<msg::federation_sync>());
}

TEST_F(RouterCoreFederation, RequestSyncOnALinkIsAnsweredForCoveredPatternsOnly) {
  const auto since = seed_history();
  clear_all();
  msg::federation_sync req;
  req.op = federation_op::request_sync;
  req.patterns = {"/a/**"};
  req.since_revision = since;
  send(link_b, req);
  ASSERT_FALSE(conn(link_b).messages().empty());
  EXPECT_TRUE(conn(link_b).messages().back().is<msg::federation_sync>());
  EXPECT_TRUE(conn(link_b).all<msg::error>().empty());

  conn(link_b).clear();
  req.patterns = {"/**"};
  send(link_b, req);
  EXPECT_EQ(only_error(conn(link_b)).code, error_code::federation_refused);
  EXPECT_TRUE(conn(link_b).all<msg::snapshot>().empty());
}

TEST_F(RouterCoreFederation, SyncCompleteRecordsTheWatermarkUsedByTheNextRequest) {
  std::vector<router::session_id_t> completed;
  core_.on_sync_complete = [&](router::session_id_t id, const msg::federation_sync&) {
    completed.push_back(id);
  };
  msg::federation_sync done;
  done.op = federation_op::sync_complete;
  done.since_revision = 42;
  send(link_a, done, codec::qos::fire);
  EXPECT_EQ(completed, std::vector<router::session_id_t>{link_a});
  EXPECT_EQ(core_.watermarks().at("leaf-a").seq, 42u);

  core_.request_sync(link_a, {"/a/**"});
  auto reqs = conn(link_a).all<msg::federation_sync>();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].op, federation_op::request_sync);
  EXPECT_EQ(reqs[0].since_revision, std::optional<std::uint64_t>(42));
  EXPECT_EQ(reqs[0].patterns, std::vector<std::string>{"/a/**"});
  EXPECT_EQ(reqs[0].origin, std::optional<std::string>("hub"));
}

TEST_F(RouterCoreFederation, RevisionVectorOverTenThousandEntriesGets400) {
  msg::federation_sync vec;
  vec.op = federation_op::revision_vector;
  for (int i = 0; i < 10001; ++i) vec.revisions.emplace_back("/a/" + std::to_string(i), 0);
  send(link_b, vec, codec::qos::fire);
  EXPECT_EQ(only_error(conn(link_b)).code, error_code::bad_request);
  EXPECT_TRUE(conn(link_b).all<msg::snapshot>().empty());
}

TEST_F(RouterCoreFederation, RevisionVectorOfExactlyTenThousandIsAccepted) {
  owner_update(link_a, "/a/0", 1, 1);
  clear_all();
  msg::federation_sync vec;
  vec.op = federation_op::revision_vector;
  for (int i = 0; i < 10000; ++i) vec.revisions.emplace_back("/a/" + std::to_string(i), 0);
  send(link_b, vec, codec::qos::fire);
  EXPECT_TRUE(conn(link_b).all<msg::error>().empty());
  EXPECT_EQ(conn(link_b).all<msg::snapshot>().size(), 1u);
}

TEST_F(RouterCoreFederation, RevisionVectorYieldsOnlyParamsWeHoldNewer) {
  seed_history();  // /a/1 r1, /a/2 r2, /a/3 tombstone r2, /a/4 r1
  clear_all();
  msg::federation_sync vec;
  vec.op = federation_op::revision_vector;
  vec.revisions = {{"/a/1", 1}, {"/a/2", 1}, {"/a/3", 1}, {"/a/4", 9}, {"/a/5", 0}, {"/zzz/q", 0}};
  send(link_b, vec, codec::qos::fire);
  std::map<std::string, revision_t> live;
  for (const auto& s : conn(link_b).all<msg::snapshot>())
    for (const auto& p : s.params) live[p.address] = p.revision;
  EXPECT_EQ(live, (std::map<std::string, revision_t>{{"/a/2", 2}}));
  auto sets = conn(link_b).all<msg::set>();
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].address, "/a/3");
  EXPECT_TRUE(router::is_tombstone_set(sets[0]));
  EXPECT_EQ(sets[0].revision, std::optional<revision_t>(2));
  EXPECT_TRUE(conn(link_b).all<msg::error>().empty());
}

// A hub that also owns a namespace: write requests from links are applied here.
class RouterCoreOwningHub : public RouterCoreFederation {
 protected:
  void SetUp() override {
    registry_ = namespace_registry("hub", {"/hub/**"});
    RouterCoreFederation::SetUp();
  }
};

TEST_F(RouterCoreOwningHub, WriteRequestFromALinkIntoOurNamespaceIsAppliedAndNumberedHere) {
  send(link_a, set("/hub/x", 1, revision_t{0}), codec::qos::confirm);
  const auto* rec = core_.params().find_live("/hub/x");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->revision, first_rev());
  EXPECT_EQ(rec->writer, "leaf-a");
  auto acks = conn(link_a).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].revision, std::optional<revision_t>(first_rev()));
  // The writer's side also needs the owner's numbered update.
  EXPECT_EQ(conn(link_a).all<msg::set>().size(), 1u);
  EXPECT_EQ(conn(link_b).all<msg::set>().size(), 1u);
  EXPECT_EQ(conn(watcher).all<msg::set>().size(), 1u);
}

// The leaf side: a routing table from attach_upstream/declare_upstream.
class RouterCoreLeaf : public router_core_test {
 protected:
  RouterCoreLeaf() : router_core_test(leaf_config()) {}
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
  }
  static constexpr router::session_id_t upstream = 7;
  namespace_registry registry_{"leaf-a", {"/a/**"}};
};

TEST_F(RouterCoreLeaf, OwnWritesAreAppliedAndSentUpstreamRemoteOnesForwarded) {
  send(client, set("/a/x", 1));
  ASSERT_NE(core_.params().find_live("/a/x"), nullptr);
  auto up = conn(upstream).all<msg::set>();
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].revision, std::optional<revision_t>(first_rev()));
  EXPECT_EQ(conn(client).all<msg::ack>().size(), 1u);

  clear_all();
  send(client, set("/b/x", 2));
  EXPECT_EQ(core_.params().find("/b/x"), nullptr);
  ASSERT_EQ(conn(upstream).frames().size(), 1u);
  EXPECT_EQ(conn(upstream).frames()[0].decoded.header.quality, codec::qos::confirm);

  clear_all();
  send(client, set("/local-only", 3));
  EXPECT_NE(core_.params().find_live("/local-only"), nullptr) << "unowned addresses stay local";
  EXPECT_TRUE(conn(upstream).frames().empty());
}

TEST_F(RouterCoreLeaf, FromUpstreamRemoteUpdatesAreReplicasAndOwnAddressesAreWriteRequests) {
  send(client, subscribe(1, "/**"));
  clear_all();
  send(upstream, set("/b/x", 5, revision_t{8}), codec::qos::fire);
  ASSERT_NE(core_.params().find_live("/b/x"), nullptr);
  EXPECT_EQ(core_.params().find("/b/x")->revision, 8u);
  EXPECT_EQ(conn(client).all<msg::set>().size(), 1u);
  EXPECT_TRUE(conn(upstream).frames().empty());

  clear_all();
  send(upstream, set("/a/y", 6), codec::qos::confirm);  // a write forwarded by the hub
  ASSERT_NE(core_.params().find_live("/a/y"), nullptr);
  EXPECT_EQ(core_.params().find("/a/y")->revision, first_rev());
  EXPECT_EQ(conn(client).all<msg::set>().size(), 1u);
  auto acks = conn(upstream).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].revision, std::optional<revision_t>(first_rev()));
  EXPECT_EQ(conn(upstream).all<msg::set>().size(), 1u) << "the hub gets the numbered update";
}

}  // namespace
}  // namespace clasp::testing
