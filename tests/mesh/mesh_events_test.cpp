// Events (PUBLISH) while routes change. An event has no revision, so a second
// copy that took the old path and the first one that took the new path look
// alike to a subscriber; between our routers each event carries an id
// (origin incarnation, sequence) and every router lets only its first copy
// through. When a link closes, the events sent on it in the last moments go
// out again on the routes that replace it (copies are dropped by id). A
// steady stream of events crosses a mesh whose links are killed and whose
// relays are SIGKILLed and restarted: no subscriber may see an event twice,
// and a router that is never cut off must see every one.
#include "tests/mesh/mesh_cluster.hpp"

#include <chrono>
#include <iostream>
#include <map>

#include "tests/support/prometheus_text.hpp"

namespace clasp::meshtest {
namespace {

constexpr millis settle_timeout{20000};
const std::string event_address = "/site-2/ev";  // owned by site-2

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

// A publisher at site-0 and a subscriber at every router of `cluster`.
class event_stream {
 public:
  explicit event_stream(mesh_cluster& cluster) : cluster_(cluster), subs_(cluster.size()) {
    for (std::size_t i = 0; i < cluster.size(); ++i) subscribe(i);
    publisher_ = fedtest::client_at(cluster.port(0), "publisher");
  }

  // Publishes for `how_long`, four events at a time; reading the subscribers
  // (a millisecond each) between bursts also paces the stream.
  void publish_for(millis how_long) {
    const auto until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
      for (int burst = 0; burst < 4; ++burst) {
        msg::publish ev;
        ev.signal = signal_type::event;
        ev.address = event_address;
        ev.val = value(++published_);
        ASSERT_TRUE(publisher_->send(ev, codec::qos::fire));
      }
      for (auto& s : subs_) s.take();
      publisher_->take_all();
    }
  }

  void kill_links(std::size_t i) {
    ++faults_;
    ASSERT_TRUE(cluster_.kill_links(i)) << "POST /admin/kill-links refused";
  }

  // SIGKILL router `i`, publish meanwhile, restart it and subscribe again.
  void kill_and_restart(std::size_t i, millis down) {
    ++faults_;
    subs_[i].take();
    subs_[i].client.reset();
    cluster_.kill9(i);
    publish_for(down);
    cluster_.restart(i);
    subscribe(i);
  }

  // After healing: the last events, then what is still in flight; prints and
  // checks the counts. `whole` are the routers that must have seen every event.
  void finish(const std::vector<std::size_t>& whole) {
    std::string why;
    ASSERT_TRUE(cluster_.wait_settled(settle_timeout, &why)) << why;
    publish_for(millis(300));
    // The routers that must see everything get a bounded wait for it; then a
    // moment more for late copies (a duplicate would come after the first).
    const auto has_all = [&] {
      for (auto i : whole)
        if (subs_[i].seen.size() < static_cast<std::size_t>(published_)) return false;
      return true;
    };
    const auto complete_by = std::chrono::steady_clock::now() + millis(5000);
    while (!has_all() && std::chrono::steady_clock::now() < complete_by)
      for (auto& s : subs_) s.take();
    const auto late_copies_by = std::chrono::steady_clock::now() + millis(500);
    while (std::chrono::steady_clock::now() < late_copies_by)
      for (auto& s : subs_) s.take();
    std::size_t duplicates = 0;
    for (std::size_t i = 0; i < subs_.size(); ++i) {
      std::cout << cluster_.spec(i).id << ": " << subs_[i].seen.size() << " of " << published_
                << " events, " << subs_[i].duplicates << " twice\n";
      duplicates += subs_[i].duplicates;
      // Every router heard much of the stream: the duplicate check proves something.
      EXPECT_GT(subs_[i].seen.size(), static_cast<std::size_t>(published_) / 4) << cluster_.spec(i).id;
    }
    double dropped = 0, resent = 0;
    for (std::size_t i = 0; i < cluster_.size(); ++i)
      if (auto m = test::scrape_metrics(cluster_.port(i))) {
        dropped += test::value_or_zero(*m, "clasp_duplicate_events_dropped_total");
        resent += test::value_or_zero(*m, "clasp_events_resent_total");
      }
    std::cout << "events published " << published_ << ", faults " << faults_ << ", duplicates "
              << duplicates << "; the routers resent " << resent << " and dropped " << dropped
              << " copies\n";
    EXPECT_EQ(duplicates, 0u);
    for (auto i : whole)
      EXPECT_EQ(subs_[i].seen.size(), static_cast<std::size_t>(published_))
          << cluster_.spec(i).id << " was never cut off, yet missed events";
  }

 private:
  void subscribe(std::size_t i) {
    subs_[i].client = fedtest::client_at(cluster_.port(i), "events-" + std::to_string(i));
    ASSERT_TRUE(fedtest::subscribe_live(*subs_[i].client, 1, "/site-2/**"));
  }

  mesh_cluster& cluster_;
  std::vector<event_subscriber> subs_;
  std::unique_ptr<test::wire_client> publisher_;
  std::int64_t published_ = 0;
  std::size_t faults_ = 0;
};

// A full mesh of five: every router has a link to every other, so when one
// router's links drop, the others' routes to the owner move at once, each
// router deciding on what it has heard so far. Without event ids, copies
// came round (the publisher's own subscriber saw its events twice).
TEST(mesh_events, events_cross_a_changing_full_mesh_at_most_once) {
  mesh_cluster cluster(full_mesh_topology(5));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  event_stream stream(cluster);
  // Every router but the publisher's, the owner included, drops all its links
  // in turn, 300 ms apart; then two relays are SIGKILLed and restarted.
  stream.publish_for(millis(300));
  for (std::size_t round = 0; round < 24; ++round) {
    stream.kill_links(1 + round % 4);
    stream.publish_for(millis(300));
  }
  for (std::size_t relay : {std::size_t{3}, std::size_t{4}}) {
    stream.kill_and_restart(relay, millis(400));
    stream.publish_for(millis(400));
  }
  stream.finish({0});
}

// A ring of five, publisher site-0, owner site-2: the relays on both ways
// round (site-1; site-3 and site-4) lose their links or are SIGKILLed, so the
// route from the publisher to the owner keeps moving, but the two are never
// cut off from each other: the owner must see every event, once.
TEST(mesh_events, an_owner_never_cut_off_sees_every_event_while_relays_fail) {
  mesh_cluster cluster(ring_topology(5));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  event_stream stream(cluster);
  struct fault {
    std::size_t router;
    bool sigkill;
  };
  const std::vector<fault> faults = {{1, false}, {4, false}, {1, true}, {3, false},
                                     {4, true},  {1, false}, {3, true}, {4, false}};
  stream.publish_for(millis(500));
  for (const auto& f : faults) {
    if (f.sigkill) {
      stream.kill_and_restart(f.router, millis(600));
      stream.publish_for(millis(600));
    } else {
      stream.kill_links(f.router);
      stream.publish_for(millis(1200));
    }
    // The next fault only once the ring is whole again: with two relays down
    // at once, site-0 and site-2 would be cut off from each other.
    ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  }
  stream.finish({0, 2});
}

}  // namespace
}  // namespace clasp::meshtest
