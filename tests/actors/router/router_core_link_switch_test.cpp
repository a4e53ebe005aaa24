// router_core switching a router's traffic to the kept link when a redundant
// link to it stands down: the kept link holds what it is sent until the
// router answered the clock SYNC marker sent on the old link (so nothing
// overtakes what is still on the old one), or until the deadline.
#include <gtest/gtest.h>

#include "actors/federation/namespace_registry.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;

constexpr router::session_id_t client = 1;
constexpr router::session_id_t old_link = 2;   // ours to "a", redundant
constexpr router::session_id_t kept_link = 3;  // the one "a" opened to us

class RouterCoreLinkSwitch : public router_core_test {
 protected:
  RouterCoreLinkSwitch() : router_core_test(own_config()) {}
  static router::router_config own_config() {
    auto cfg = config();
    cfg.router_id = "b";
    return cfg;
  }
  void SetUp() override {
    attach(client);
    attach(old_link, "to-a");
    attach(kept_link, "from-a");
    core_.mark_link(old_link, "a");
    core_.mark_link(kept_link, "a");
    federation::neighbour_hello hello{true, 10};
    registry_.declare_upstream("a", old_link, {"/a/**"}, hello);
    ASSERT_FALSE(registry_.advertise(old_link, {"b", {"/b/**"}, {"a", "b"}, 20}));  // a is our child
    core_.set_routing(registry_.build());
    ASSERT_FALSE(registry_.declare_inbound("a", kept_link, {"/a/**"}, hello));
    registry_.stand_down(old_link);
    clear_all();
    core_.set_routing(registry_.build());
  }
  std::uint64_t marker_token() {
    auto syncs = conn(old_link).all<msg::sync>();
    EXPECT_EQ(syncs.size(), 1u) << "one clock SYNC marker on the old link";
    return syncs.empty() ? 0 : syncs.back().t1;
  }
  static msg::sync reply_to(std::uint64_t token) {
    msg::sync r;
    r.t1 = token;
    r.t2 = 1;
    r.t3 = 2;
    return r;
  }
  namespace_registry registry_{"b", {"/b/**"}, 20};
};

TEST_F(RouterCoreLinkSwitch, TheKeptLinkHoldsItsUpdatesUntilTheOldLinkAnswersTheMarker) {
  const auto token = marker_token();
  ASSERT_NE(token, 0u);
  send(client, set("/b/x", 1));
  send(client, set("/b/y", 2));
  EXPECT_TRUE(conn(kept_link).all<msg::set>().empty()) << "held while the old link may still carry ours";
  EXPECT_TRUE(conn(old_link).all<msg::set>().empty()) << "nothing more goes out on the old link";

  send(old_link, reply_to(token + 1), codec::qos::fire);
  EXPECT_TRUE(conn(kept_link).all<msg::set>().empty()) << "another SYNC's answer releases nothing";

  send(old_link, reply_to(token), codec::qos::fire);
  auto sets = conn(kept_link).all<msg::set>();
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].address, "/b/x") << "in the order they were sent";
  EXPECT_EQ(sets[1].address, "/b/y");
  EXPECT_TRUE(conn(old_link).all<msg::sync>().size() == 1u) << "the answer is not answered";

  send(client, set("/b/z", 3));
  EXPECT_EQ(conn(kept_link).all<msg::set>().size(), 3u) << "after the switch, straight out";
}

TEST_F(RouterCoreLinkSwitch, AnOldLinkThatNeverAnswersReleasesTheKeptOneAtTheDeadline) {
  ASSERT_NE(marker_token(), 0u);
  send(client, set("/b/x", 1));
  const auto now = router::router_core::clock_now_us();
  core_.end_stale_link_switches(now);
  EXPECT_TRUE(conn(kept_link).all<msg::set>().empty()) << "not yet";
  core_.end_stale_link_switches(now + 1'000'000);
  EXPECT_EQ(conn(kept_link).all<msg::set>().size(), 1u);
}

TEST_F(RouterCoreLinkSwitch, TheOldLinkClosingReleasesTheKeptOne) {
  ASSERT_NE(marker_token(), 0u);
  send(client, set("/b/x", 1));
  core_.detach(old_link);
  EXPECT_EQ(conn(kept_link).all<msg::set>().size(), 1u);
}

TEST_F(RouterCoreLinkSwitch, AStandingDownLinkIsNotSentWhatItAskedASyncFor) {
  // The old link asks us to sync our own namespace: answered, but later
  // changes still do not go out on it (they would reach its owner twice, or
  // loop back to it as write requests).
  send(old_link, reply_to(marker_token()), codec::qos::fire);
  msg::federation_sync ask;
  ask.op = federation_op::request_sync;
  ask.patterns = {"/b/**"};
  send(old_link, ask);
  core_.pump_syncs();
  ASSERT_TRUE(conn(old_link).all<msg::error>().empty()) << "a sync it asks for is still answered";
  clear_all();
  send(client, set("/b/x", 1));
  EXPECT_TRUE(conn(old_link).all<msg::set>().empty());
  EXPECT_EQ(conn(kept_link).all<msg::set>().size(), 1u);
}

}  // namespace
}  // namespace clasp::testing
