// router_core event ids: between our routers a PUBLISH carries (origin, seq);
// a router delivers and forwards the first copy of each id only, stamps the
// events it takes from clients (and from routers that send no ids) with its
// own, and never shows the id to a client or to a router that did not declare ids.
#include <gtest/gtest.h>

#include "actors/federation/namespace_registry.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;
using federation::neighbour_hello;
using federation::route_advert;

constexpr router::session_id_t client = 1;
constexpr router::session_id_t to_a = 2;   // ours, owns /a/**
constexpr router::session_id_t to_c = 3;   // ours, reaches a through us
constexpr router::session_id_t to_up = 4;  // another implementation's router (no ids)

constexpr neighbour_hello with_ids{true, 3, true};

// Router "mid" between a and c, with a client subscribed to /a/**.
class EventIds : public router_core_test {
 protected:
  EventIds() : router_core_test(named("mid")) {}
  void SetUp() override {
    attach(client, "client");
    attach(to_a, "to-a");
    attach(to_c, "from-c");
    attach(to_up, "from-up");
    core_.mark_link(to_a, "a");
    core_.mark_link(to_c, "c");
    core_.mark_link(to_up, "up");
    registry_.declare_upstream("a", to_a, {"/a/**"}, with_ids);
    ASSERT_FALSE(registry_.declare_inbound("c", to_c, {"/c/**"}, with_ids));
    ASSERT_FALSE(registry_.advertise(to_c, route_advert{"a", {"/a/**"}, {"c", "mid", "a"}, 3}));
    ASSERT_FALSE(registry_.declare_inbound("up", to_up, {"/up/**"}));
    core_.set_routing(registry_.build());
    send(client, subscribe(1, "/a/**"));
    clear_all();
  }
  static msg::publish with_id(msg::publish p, std::uint64_t origin, std::uint64_t seq) {
    p.event = event_id{origin, seq};
    return p;
  }
  std::vector<msg::publish> got(router::session_id_t id) { return conn(id).all<msg::publish>(); }

  namespace_registry registry_{"mid", {"/m/**"}, 5};
};

TEST_F(EventIds, TheSameEventByTwoPathsReachesASubscriberOnce) {
  const auto ev = with_id(event("/a/button", 1), 77, 5);
  send(to_a, ev, codec::qos::fire);
  send(to_c, ev, codec::qos::fire);
  ASSERT_EQ(got(client).size(), 1u);
  EXPECT_FALSE(got(client)[0].event) << "a client never sees the id";
  EXPECT_EQ(core_.counters().duplicate_events, 1u);
  // Forwarded once, with the id it came with, and not back where it came from.
  ASSERT_EQ(got(to_c).size(), 1u);
  ASSERT_TRUE(got(to_c)[0].event);
  EXPECT_EQ(got(to_c)[0].event->origin, 77u);
  EXPECT_EQ(got(to_c)[0].event->seq, 5u);
  EXPECT_TRUE(got(to_a).empty());
}

TEST_F(EventIds, EventsWithTheirOwnIdsAreEachDelivered) {
  send(to_a, with_id(event("/a/button", 1), 77, 5), codec::qos::fire);
  send(to_a, with_id(event("/a/button", 2), 77, 6), codec::qos::fire);
  send(to_a, with_id(event("/a/button", 3), 78, 5), codec::qos::fire);
  EXPECT_EQ(got(client).size(), 3u);
  EXPECT_EQ(core_.counters().duplicate_events, 0u);
}

TEST_F(EventIds, AClientsEventLeavesWithOurIdAndIsDroppedWhenItComesBack) {
  send(client, event("/a/button", 1));
  ASSERT_EQ(got(to_a).size(), 1u);
  const auto out = got(to_a)[0];
  ASSERT_TRUE(out.event);
  EXPECT_EQ(out.event->origin, core_.incarnation());
  clear_all();
  send(to_c, out, codec::qos::fire);  // round a cycle, back to us
  EXPECT_TRUE(got(client).empty());
  EXPECT_TRUE(got(to_a).empty());
  EXPECT_EQ(core_.counters().duplicate_events, 1u);
  // The next one is numbered after it.
  send(client, event("/a/button", 2));
  ASSERT_EQ(got(to_a).size(), 1u);
  ASSERT_TRUE(got(to_a)[0].event);
  EXPECT_EQ(got(to_a)[0].event->seq, out.event->seq + 1);
}

TEST_F(EventIds, ARouterWithoutIdsGetsPlainEventsAndItsEventsAreStampedByUs) {
  send(client, subscribe(2, "/up/**"));
  send(to_a, with_id(event("/up/x", 1), 77, 9), codec::qos::fire);
  ASSERT_EQ(got(to_up).size(), 1u);
  EXPECT_FALSE(got(to_up)[0].event) << "up did not declare event ids";
  clear_all();
  // Its own events carry nothing we could check; we number them as ours.
  send(to_up, event("/a/button", 1), codec::qos::fire);
  ASSERT_EQ(got(to_a).size(), 1u);
  ASSERT_TRUE(got(to_a)[0].event);
  EXPECT_EQ(got(to_a)[0].event->origin, core_.incarnation());
  EXPECT_EQ(got(client).size(), 1u);
}

// A router of ours sends ids as soon as its routing shows our declaration;
// ours may not show its declaration yet. Renumbering its event then would make
// every copy of it further on look new.
TEST_F(EventIds, AnIdCountsAlsoOnALinkOurRoutingDoesNotShowYet) {
  constexpr router::session_id_t to_new = 5;
  attach(to_new, "from-new");
  core_.mark_link(to_new, "new");
  const auto ev = with_id(event("/a/button", 1), 77, 5);
  send(to_new, ev, codec::qos::fire);
  send(to_a, ev, codec::qos::fire);
  EXPECT_EQ(got(client).size(), 1u);
  EXPECT_EQ(core_.counters().duplicate_events, 1u);
}

TEST_F(EventIds, AClientCannotNumberItsEvents) {
  // A client's id could only suppress someone else's event: it is replaced.
  send(client, with_id(event("/a/button", 1), 77, 5));
  ASSERT_EQ(got(to_a).size(), 1u);
  ASSERT_TRUE(got(to_a)[0].event);
  EXPECT_EQ(got(to_a)[0].event->origin, core_.incarnation());
}

// A link closes: the events sent to our routers in the last moments may have
// died with it, so they go out again on the links that now lead on.
TEST_F(EventIds, EventsSentJustBeforeALinkClosedGoOutAgainOnTheRemainingRoutes) {
  const auto t0 = router::router_core::clock_now_us();
  core_.pin_clock(t0);
  send(client, event("/a/button", 1));
  ASSERT_EQ(got(to_c).size(), 1u) << "c reaches a through us: it takes a's events";
  const auto id = got(to_c)[0].event;
  clear_all();
  core_.pin_clock(t0 + router::router_core::resend_window_us / 2);
  registry_.link_closed(to_c);
  core_.set_routing(registry_.build());
  ASSERT_EQ(got(to_a).size(), 1u) << "resent to the link that still leads to a";
  EXPECT_EQ(got(to_a)[0].event, id) << "with the same id: a drops it if it had it";
  EXPECT_TRUE(got(client).empty()) << "delivered here already";
  EXPECT_EQ(core_.counters().events_resent, 1u);
}

// a's connection went before the manager's routing says so: the event could
// be sent nowhere, and it goes out once the routing catches up (now via c).
TEST_F(EventIds, AnEventForALinkWhoseConnectionIsGoneIsResentWhenTheRoutingCatchesUp) {
  // c reaches a by itself: it is not our child, and our route to a is direct.
  ASSERT_FALSE(registry_.advertise(to_c, route_advert{"a", {"/a/**"}, {"c", "a"}, 3}));
  core_.set_routing(registry_.build());
  core_.detach(to_a);
  send(client, event("/a/button", 1));
  ASSERT_TRUE(got(to_c).empty()) << "c took a's event while our route to a was direct";
  registry_.link_closed(to_a);
  core_.set_routing(registry_.build());
  ASSERT_EQ(got(to_c).size(), 1u) << "our route to a is through c now";
  EXPECT_TRUE(got(to_c)[0].event);
}

// A router that restarted and connected again after an event was sent never
// waited for it, and its subscribers, back too, may have had it from its
// previous run: when another link closes, the event is not resent to it.
TEST_F(EventIds, AnEventIsNotResentOnALinkNewerThanIt) {
  const auto t0 = router::router_core::clock_now_us();
  core_.pin_clock(t0);
  send(client, event("/a/button", 1));
  constexpr router::session_id_t to_a_again = 6;
  core_.pin_clock(t0 + 1000);
  attach(to_a_again, "to-a-again");
  core_.mark_link(to_a_again, "a");
  registry_.link_closed(to_a);
  registry_.declare_upstream("a", to_a_again, {"/a/**"}, with_ids);
  core_.set_routing(registry_.build());  // a's old link closed: resent to c, which is older
  clear_all();
  const auto resent_before = core_.counters().events_resent;
  core_.pin_clock(t0 + 2000);
  registry_.link_closed(to_c);
  core_.set_routing(registry_.build());
  EXPECT_TRUE(got(to_a_again).empty());
  EXPECT_EQ(core_.counters().events_resent, resent_before);
}

TEST_F(EventIds, TheEventsKeptForResendingAreBoundedInBytes) {
  // Big events: fewer of them are kept, the newest.
  const std::string blob(60000, 'x');
  const std::size_t fit = router::router_core::resend_max_bytes / blob.size();
  for (std::size_t i = 0; i < fit + 10; ++i) send(client, event("/a/blob", value(byte_string{blob})));
  clear_all();
  registry_.link_closed(to_c);
  core_.set_routing(registry_.build());
  EXPECT_GT(got(to_a).size(), fit / 2);
  EXPECT_LE(got(to_a).size(), fit);
}

TEST_F(EventIds, OnlyRecentEventsAreResentAndOnlyWhenALinkWentAway) {
  const auto t0 = router::router_core::clock_now_us();
  core_.pin_clock(t0);
  send(client, event("/a/button", 1));
  clear_all();
  // A routing change that closes nothing resends nothing.
  core_.set_routing(registry_.build());
  EXPECT_TRUE(got(to_a).empty());
  core_.pin_clock(t0 + router::router_core::resend_window_us + 1);
  registry_.link_closed(to_c);
  core_.set_routing(registry_.build());
  EXPECT_TRUE(got(to_a).empty()) << "older than the window";
  EXPECT_EQ(core_.counters().events_resent, 0u);
}

}  // namespace
}  // namespace clasp::testing
