// Events (PUBLISH) while routes change. An event has no revision, so a second
// copy that took the old path and the first one that took the new path look
// alike to a subscriber; between our routers each event carries an id
// (origin incarnation, sequence) and every router lets only its first copy
// through. A steady stream of events crosses a mesh whose links are killed
// and whose relays are SIGKILLed and restarted: no subscriber may see an
// event twice. Events are fire-and-forget, so some are lost while a router
// is cut off or a route moves; the test prints how many arrived.
#include "tests/mesh/mesh_cluster.hpp"

#include "tests/support/prometheus_text.hpp"

#include <chrono>
#include <iostream>
#include <map>

namespace clasp::meshtest {
namespace {

constexpr millis settle_timeout{20000};

struct event_subscriber {
  std::unique_ptr<test::wire_client> client;
  std::map<std::int64_t, int> seen;  // event value -> deliveries
  std::size_t duplicates = 0;

  void take() {
    if (!client) return;
    for (const auto& m : client->collect(millis(1))) {
      if (!m.is<msg::publish>()) continue;
      const auto& ev = m.as<msg::publish>();
      const auto* n = ev.val ? std::get_if<std::int64_t>(&ev.val->data) : nullptr;
      if (n && ++seen[*n] > 1) ++duplicates;
    }
  }
};

// A full mesh of five: every router has a link to every other, so when one
// router's links drop, the others' routes to the owner move at once, each
// router deciding on what it has heard so far. Without event ids, copies
// came round (the publisher's own subscriber saw its events twice).
TEST(mesh_events, events_cross_a_changing_full_mesh_at_most_once) {
  mesh_cluster cluster(full_mesh_topology(5));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  const std::string address = "/site-2/ev";
  std::vector<event_subscriber> subs(cluster.size());
  auto subscribe = [&](std::size_t i) {
    subs[i].client = fedtest::client_at(cluster.port(i), "events-" + std::to_string(i));
    ASSERT_TRUE(fedtest::subscribe_live(*subs[i].client, 1, "/site-2/**"));
  };
  for (std::size_t i = 0; i < cluster.size(); ++i) subscribe(i);
  auto publisher = fedtest::client_at(cluster.port(0), "publisher");

  std::int64_t published = 0;
  const auto publish_for = [&](millis how_long) {
    const auto until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
      for (int burst = 0; burst < 4; ++burst) {
        msg::publish ev;
        ev.signal = signal_type::event;
        ev.address = address;
        ev.val = value(++published);
        ASSERT_TRUE(publisher->send(ev, codec::qos::fire));
      }
      // Reading the subscribers (a millisecond each) also paces the stream.
      for (auto& s : subs) s.take();
      publisher->take_all();
    }
  };
  // The publisher is site-0 and the owner site-2; every other router, the
  // owner included, drops all its links in turn, 300 ms apart, and two relays
  // are SIGKILLed and restarted.
  std::size_t faults = 0;
  publish_for(millis(300));
  for (std::size_t round = 0; round < 24; ++round, ++faults) {
    ASSERT_TRUE(cluster.kill_links(1 + round % 4)) << "POST /admin/kill-links refused";
    publish_for(millis(300));
  }
  for (std::size_t relay : {std::size_t{3}, std::size_t{4}}) {
    ++faults;
    subs[relay].take();
    subs[relay].client.reset();
    cluster.kill9(relay);
    publish_for(millis(400));
    cluster.restart(relay);
    subscribe(relay);
    publish_for(millis(400));
  }
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  publish_for(millis(300));
  // What is still in flight arrives within a moment of the last event.
  const auto drain_until = std::chrono::steady_clock::now() + millis(500);
  while (std::chrono::steady_clock::now() < drain_until)
    for (auto& s : subs) s.take();

  std::size_t duplicates = 0;
  for (std::size_t i = 0; i < subs.size(); ++i) {
    std::cout << cluster.spec(i).id << ": " << subs[i].seen.size() << " of " << published
              << " events, " << subs[i].duplicates << " twice\n";
    duplicates += subs[i].duplicates;
    // Every router heard much of the stream: the check below proves something.
    EXPECT_GT(subs[i].seen.size(), static_cast<std::size_t>(published) / 4) << cluster.spec(i).id;
  }
  std::cout << "events published " << published << ", faults " << faults << ", duplicates "
            << duplicates << "\n";
  double dropped = 0;
  for (std::size_t i = 0; i < cluster.size(); ++i)
    if (auto m = test::scrape_metrics(cluster.port(i)))
      dropped += test::value_or_zero(*m, "clasp_duplicate_events_dropped_total");
  std::cout << "copies the routers dropped: " << dropped << "\n";
  EXPECT_EQ(duplicates, 0u);
}

}  // namespace
}  // namespace clasp::meshtest
