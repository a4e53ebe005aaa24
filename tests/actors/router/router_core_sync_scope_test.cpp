// router_core sync scope: a link of ours keeps getting what it asked a sync
// for while its route to the owner goes through us, and for a grace period
// after it moved elsewhere, then no more; on the asking side, what a link no
// longer leads to leaves what its sync marks must cover.
#include <gtest/gtest.h>

#include "actors/federation/namespace_registry.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;
using federation::route_advert;
using router::router_core;

constexpr router::session_id_t to_a = 2;  // owner of /a/**, ours
constexpr router::session_id_t to_c = 3;  // ours, asked us for /a/**
constexpr router::session_id_t to_b = 4;

// Router "mid": a on one link, c on another; c has asked mid for /a/**.
class SyncScopeSent : public router_core_test {
 protected:
  SyncScopeSent() : router_core_test(named("mid")) {}
  void SetUp() override {
    attach(to_a, "to-a");
    attach(to_c, "from-c");
    core_.mark_link(to_a, "a");
    core_.mark_link(to_c, "c");
    registry_.declare_upstream("a", to_a, {"/a/**"}, federation::neighbour_hello{true, 3});
    ASSERT_FALSE(registry_.declare_inbound("c", to_c, {"/c/**"}, federation::neighbour_hello{true, 4}));
    core_.set_routing(registry_.build());
    send(to_c, request({"/a/**"}));
    core_.pump_syncs();
    now_ = router_core::clock_now_us();
  }
  // c's route to a: through us, or its own link to a.
  void c_routes_through_us(bool through_us) {
    const std::vector<std::string> path = through_us ? std::vector<std::string>{"c", "mid", "a"}
                                                     : std::vector<std::string>{"c", "a"};
    ASSERT_FALSE(registry_.advertise(to_c, route_advert{"a", {"/a/**"}, path, 3}));
    core_.set_routing(registry_.build());
  }
  // One update from a; true if it went on to c.
  bool update_reaches_c() {
    conn(to_c).clear();
    ++value_;
    send(to_a, set("/a/x", value_, value_), codec::qos::fire);
    return !conn(to_c).all<msg::set>().empty();
  }
  namespace_registry registry_{"mid", {"/m/**"}, 5};
  std::uint64_t now_ = 0;
  int value_ = 0;
};

TEST_F(SyncScopeSent, ALinkThatRoutesElsewhereGetsWhatItAskedForOnlyDuringTheGrace) {
  c_routes_through_us(false);
  ASSERT_TRUE(update_reaches_c()) << "it asked for /a/**: its route may be a moment ahead of ours";
  core_.end_off_route_syncs(now_);
  core_.end_off_route_syncs(now_ + router_core::off_route_grace_us - 1);
  EXPECT_TRUE(update_reaches_c()) << "within the grace: nothing falls between the two paths";
  core_.end_off_route_syncs(now_ + router_core::off_route_grace_us);
  EXPECT_FALSE(update_reaches_c()) << "past the grace: no second copy of a's stream for good";
}

TEST_F(SyncScopeSent, AChildInTheOwnersTreeKeepsWhatItAskedFor) {
  c_routes_through_us(true);
  core_.end_off_route_syncs(now_);
  core_.end_off_route_syncs(now_ + 10 * router_core::off_route_grace_us);
  EXPECT_TRUE(update_reaches_c());
}

TEST_F(SyncScopeSent, ARouteThatComesBackStartsTheGraceAgain) {
  c_routes_through_us(false);
  core_.end_off_route_syncs(now_);
  c_routes_through_us(true);
  core_.end_off_route_syncs(now_ + router_core::off_route_grace_us / 2);
  c_routes_through_us(false);
  const auto left_again = now_ + router_core::off_route_grace_us;
  core_.end_off_route_syncs(left_again);
  core_.end_off_route_syncs(left_again + router_core::off_route_grace_us - 1);
  EXPECT_TRUE(update_reaches_c());
  core_.end_off_route_syncs(left_again + router_core::off_route_grace_us);
  EXPECT_FALSE(update_reaches_c());
}

// Router "d" synced /a/** (via b) and /b/** from b; then a's route moves to c.
class SyncScopeAsked : public router_core_test {
 protected:
  SyncScopeAsked() : router_core_test(named("d")) {}
  void SetUp() override {
    attach(to_b, "to-b");
    attach(to_c, "to-c");
    core_.mark_link(to_b, "b");
    core_.mark_link(to_c, "c");
    registry_.declare_upstream("b", to_b, {"/b/**"}, federation::neighbour_hello{true, 3});
    ASSERT_FALSE(registry_.advertise(to_b, route_advert{"a", {"/a/**"}, {"b", "a"}, 2}));
    core_.set_routing(registry_.build());
    core_.request_sync(to_b, {"/a/**", "/b/**"}, /*full=*/true);
    msg::federation_sync done;
    done.op = federation_op::sync_complete;
    done.patterns = {"/a/**", "/b/**"};
    done.since_revision = 10;
    done.revisions.emplace_back("incarnation", 77);
    send(to_b, done, codec::qos::fire);
    ASSERT_EQ(watermark(), 10u);
  }
  void mark_from_b(std::uint64_t seq) {
    msg::federation_sync m;
    m.op = federation_op::sync_mark;
    m.patterns = {"/b/**"};
    m.since_revision = seq;
    m.revisions.emplace_back("incarnation", 77);
    send(to_b, m, codec::qos::fire);
  }
  std::uint64_t watermark() const { return core_.watermarks().at("b").seq; }
  namespace_registry registry_{"d", {}};
};

TEST_F(SyncScopeAsked, AMarkNeedNotCoverWhatTheLinkNoLongerLeadsTo) {
  mark_from_b(30);
  EXPECT_EQ(watermark(), 10u) << "b still leads to a: its mark must cover /a/** too";
  // a is closer through c now; b's path to it got longer.
  registry_.declare_upstream("c", to_c, {"/c/**"}, federation::neighbour_hello{true, 4});
  ASSERT_FALSE(registry_.advertise(to_c, route_advert{"a", {"/a/**"}, {"c", "a"}, 2}));
  ASSERT_FALSE(registry_.advertise(to_b, route_advert{"a", {"/a/**"}, {"b", "x", "a"}, 2}));
  core_.set_routing(registry_.build());
  mark_from_b(50);
  EXPECT_EQ(watermark(), 50u) << "b's marks speak for what it still leads to";
}

}  // namespace
}  // namespace clasp::testing
