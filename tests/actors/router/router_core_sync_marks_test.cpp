// router_core sync marks: the answering side tells one of our routers how far
// its change sequence has reached it live, and the requester moves its
// watermark only when it took everything the link brought.
#include <gtest/gtest.h>

#include "actors/federation/namespace_registry.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;

constexpr router::session_id_t client = 1;
constexpr router::session_id_t hub_link = 2;    // one of ours
constexpr router::session_id_t other_impl = 3;  // another implementation's router
constexpr std::uint64_t a_incarnation = 77;

msg::federation_sync mark(std::vector<std::string> patterns, std::uint64_t seq,
                          std::uint64_t incarnation = a_incarnation) {
  msg::federation_sync m;
  m.op = federation_op::sync_mark;
  m.patterns = std::move(patterns);
  m.since_revision = seq;
  m.origin = "a";
  m.revisions.emplace_back("incarnation", incarnation);
  return m;
}

std::vector<msg::federation_sync> marks_in(const fake_connection& c) {
  std::vector<msg::federation_sync> out;
  for (const auto& m : c.all<msg::federation_sync>())
    if (m.op == federation_op::sync_mark) out.push_back(m);
  return out;
}

// Router "a" owning /a/**: the hub (ours) and another implementation's router
// asked it for /a/**.
class SyncMarksSent : public router_core_test {
 protected:
  SyncMarksSent() : router_core_test(named("a")) {}
  void SetUp() override {
    attach(client);
    attach(hub_link, "hub");
    attach(other_impl, "other");
    core_.mark_link(hub_link, "hub");
    core_.mark_link(other_impl, "other");
    ASSERT_FALSE(registry_.declare_inbound("hub", hub_link, {}, federation::neighbour_hello{true, 5}));
    ASSERT_FALSE(registry_.declare_inbound("other", other_impl, {}));
    core_.set_routing(registry_.build());
    send(hub_link, request({"/a/**"}));
    send(other_impl, request({"/a/**"}));
    core_.pump_syncs();
    clear_all();
    now_ = router::router_core::clock_now_us();
  }
  namespace_registry registry_{"a", {"/a/**"}, 5};
  std::uint64_t now_ = 0;
};

TEST_F(SyncMarksSent, AChangeIsFollowedByOneMarkWithOurSeqAfterIt) {
  send(client, set("/a/x", 1));
  core_.send_sync_marks(now_);
  auto sent = conn(hub_link).messages();
  ASSERT_EQ(sent.size(), 2u);
  ASSERT_TRUE(sent[0].is<msg::set>()) << "the change went out live first";
  ASSERT_TRUE(sent[1].is<msg::federation_sync>());
  const auto m = sent[1].as<msg::federation_sync>();
  EXPECT_EQ(m.op, federation_op::sync_mark);
  EXPECT_EQ(m.patterns, std::vector<std::string>{"/a/**"});
  EXPECT_EQ(m.since_revision, core_.params().current_seq());
  EXPECT_EQ(m.origin, std::optional<std::string>("a"));
  EXPECT_EQ(core_.counters().sync_marks_sent, 1u);
  EXPECT_TRUE(marks_in(conn(other_impl)).empty()) << "another implementation would not know the op";

  core_.send_sync_marks(now_ + router::router_core::sync_mark_interval_us);
  EXPECT_EQ(marks_in(conn(hub_link)).size(), 1u) << "nothing changed: no second mark";

  send(client, set("/a/x", 2));
  core_.send_sync_marks(now_ + 1);
  EXPECT_EQ(marks_in(conn(hub_link)).size(), 1u) << "at most one per interval";
  core_.send_sync_marks(now_ + router::router_core::sync_mark_interval_us);
  EXPECT_EQ(marks_in(conn(hub_link)).size(), 2u);
}

TEST_F(SyncMarksSent, NoMarkWhileASyncAnswerToTheLinkIsStillGoingOut) {
  // Enough params that one pump cannot walk them all (a slice is a few thousand slots).
  for (int i = 0; i < 20000; ++i) send(client, set("/a/k" + std::to_string(i), i), codec::qos::fire);
  send(hub_link, request({"/a/**"}));
  ASSERT_TRUE(core_.has_pending_syncs());
  core_.send_sync_marks(now_);
  EXPECT_TRUE(marks_in(conn(hub_link)).empty()) << "the answer has not gone out whole";
  while (core_.pump_syncs()) {
  }
  core_.send_sync_marks(now_);
  EXPECT_EQ(marks_in(conn(hub_link)).size(), 1u);
}

TEST_F(SyncMarksSent, ALinkThatNeverAskedOrStandsDownGetsNoMark) {
  constexpr router::session_id_t quiet = 4;
  attach(quiet, "quiet");
  core_.mark_link(quiet, "quiet");
  ASSERT_FALSE(registry_.declare_inbound("quiet", quiet, {}, federation::neighbour_hello{true, 6}));
  registry_.stand_down(hub_link);
  core_.set_routing(registry_.build());
  send(client, set("/a/x", 1));
  core_.send_sync_marks(now_);
  EXPECT_TRUE(marks_in(conn(quiet)).empty()) << "it asked for nothing";
  EXPECT_TRUE(marks_in(conn(hub_link)).empty()) << "a standing-down link no longer gets our changes";
}

// The hub, with router "a" (ours) on a link it synced /a/** from.
class SyncMarksReceived : public router_core_test {
 protected:
  void SetUp() override {
    attach(client);
    attach(hub_link, "to-a");
    core_.mark_link(hub_link, "a");
    ASSERT_FALSE(registry_.declare_inbound("a", hub_link, {"/a/**"}, federation::neighbour_hello{true, 5}));
    core_.set_routing(registry_.build());
    core_.request_sync(hub_link, {"/a/**"}, /*full=*/true);
    complete(10);
    ASSERT_EQ(watermark(), 10u);
  }
  void complete(std::uint64_t seq) {
    msg::federation_sync done;
    done.op = federation_op::sync_complete;
    done.patterns = {"/a/**"};
    done.since_revision = seq;
    done.revisions.emplace_back("incarnation", a_incarnation);
    send(hub_link, done, codec::qos::fire);
  }
  std::uint64_t watermark() const { return core_.watermarks().at("a").seq; }
  namespace_registry registry_{"hub", {}};
};

TEST_F(SyncMarksReceived, AMarkCoveringWhatWeAskedMovesTheWatermarkForward) {
  send(hub_link, mark({"/a/**", "/a2/**"}, 50), codec::qos::fire);
  EXPECT_EQ(watermark(), 50u);
  EXPECT_EQ(core_.counters().sync_marks_applied, 1u);
  send(hub_link, mark({"/a/**"}, 40), codec::qos::fire);
  EXPECT_EQ(watermark(), 50u) << "never backwards";

  core_.request_sync(hub_link, {"/a/**"});
  auto reqs = conn(hub_link).all<msg::federation_sync>();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().since_revision, std::optional<std::uint64_t>(50))
      << "anti-entropy asks only for what changed since the mark";
}

TEST_F(SyncMarksReceived, AMarkFromAnotherRunOrNotCoveringOurRequestIsIgnored) {
  send(hub_link, mark({"/a/**"}, 50, a_incarnation + 1), codec::qos::fire);
  EXPECT_EQ(watermark(), 10u) << "a's change sequence restarted: the mark says nothing of ours";
  send(hub_link, mark({"/a/x/**"}, 50), codec::qos::fire);
  EXPECT_EQ(watermark(), 10u) << "it does not say it sent all of /a/**";
  EXPECT_EQ(core_.counters().sync_marks_applied, 0u);
}

TEST_F(SyncMarksReceived, NoMarkMovesTheWatermarkWhileOurSyncIsOutstanding) {
  core_.request_sync(hub_link, {"/a/**"});
  send(hub_link, mark({"/a/**"}, 50), codec::qos::fire);
  EXPECT_EQ(watermark(), 10u) << "the SyncComplete on its way decides";
  complete(45);
  EXPECT_EQ(watermark(), 45u);
  send(hub_link, mark({"/a/**"}, 50), codec::qos::fire);
  EXPECT_EQ(watermark(), 50u);
}

TEST_F(SyncMarksReceived, AfterAnUpdateWeDidNotTakeMarksMoveNothing) {
  // An update from a for a namespace nobody we know owns: refused, so the
  // link brought something we do not hold; only a real sync may catch it up.
  send(hub_link, set("/elsewhere/x", 1, 3), codec::qos::fire);
  ASSERT_FALSE(conn(hub_link).all<msg::error>().empty());
  send(hub_link, mark({"/a/**"}, 50), codec::qos::fire);
  EXPECT_EQ(watermark(), 10u);
  EXPECT_EQ(core_.counters().sync_marks_applied, 0u);
}

}  // namespace
}  // namespace clasp::testing
