// Link-level mesh behaviour: one Active link per pair of routers that list
// each other, chosen alike on both sides, and a ring that routes around a
// dead router while writes to that router's namespace get 501.
#include "tests/mesh/mesh_cluster.hpp"

#include <cstdio>
#include <map>

#include "tests/support/prometheus_text.hpp"

namespace clasp::meshtest {
namespace {

constexpr millis settle_timeout{20000};

TEST(mesh_links, full_mesh_keeps_one_link_per_pair_chosen_alike) {
  mesh_cluster cluster(full_mesh_topology(4));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    auto peers_i = fedtest::peers_of(cluster.port(i));
    for (std::size_t j = i + 1; j < cluster.size(); ++j) {
      auto peers_j = fedtest::peers_of(cluster.port(j));
      json ij, ji;
      for (const auto& p : peers_i)
        if (p.value("router_id", std::string{}) == cluster.spec(j).id &&
            p.value("state", std::string{}) == "Active")
          ij = p;
      for (const auto& p : peers_j)
        if (p.value("router_id", std::string{}) == cluster.spec(i).id &&
            p.value("state", std::string{}) == "Active")
          ji = p;
      ASSERT_TRUE(ij.is_object() && ji.is_object()) << peers_i.dump() << "\n" << peers_j.dump();
      // The same connection seen from both ends: opened by one, accepted by the other.
      EXPECT_NE(ij.value("outbound", false), ji.value("outbound", false))
          << cluster.spec(i).id << ": " << ij.dump() << "\n"
          << cluster.spec(j).id << ": " << ji.dump();
      // Kept is the one opened by the smaller router id.
      EXPECT_TRUE(ij.value("outbound", false))
          << cluster.spec(i).id << " < " << cluster.spec(j).id << " but kept the link "
          << cluster.spec(j).id << " opened: " << ij.dump();
    }
  }
}

// Two routers that list each other first meet on the link the larger id
// opened (the smaller one's first attempt failed: its peer was not up), then
// on the one the smaller id opened, which both keep. Streams of QoS-fire SETs
// crossing both ways during the switch must reach the subscribers whole:
// every value once (a few keys, so a resync could not make up for a loss).
namespace {
struct update_stream {
  std::string site;                     // owner: writes /<site>/k<n>
  std::unique_ptr<test::wire_client> writer;  // at the owner
  std::unique_ptr<test::wire_client> reader;  // subscribed at the other router
  int sent = 0;
  std::map<std::int64_t, int> seen;  // value -> deliveries

  void write_burst(int n, int keys) {
    for (int i = 0; i < n; ++i, ++sent)
      ASSERT_TRUE(writer->send(fedtest::make_set("/" + site + "/k" + std::to_string(sent % keys), sent),
                               codec::qos::fire));
  }
  void take(const std::vector<message>& msgs) {
    for (const auto& m : msgs)
      if (m.is<msg::set>())
        if (const auto* v = std::get_if<std::int64_t>(&m.as<msg::set>().val.data)) ++seen[*v];
  }
  // Every value from the first one the reader saw on arrived exactly once.
  void expect_whole() {
    ASSERT_FALSE(seen.empty()) << site;
    int missing = 0, duplicated = 0;
    for (std::int64_t v = seen.begin()->first; v < sent; ++v) {
      auto it = seen.find(v);
      if (it == seen.end())
        ++missing;
      else if (it->second > 1)
        ++duplicated;
    }
    std::printf("redundant-link switch, /%s/**: sent=%d counted_from=%lld missing=%d duplicated=%d\n",
                site.c_str(), sent, static_cast<long long>(seen.begin()->first), missing, duplicated);
    EXPECT_EQ(missing, 0) << site;
    EXPECT_EQ(duplicated, 0) << site;
  }
};
}  // namespace

TEST(mesh_links, switching_to_the_kept_link_loses_no_update) {
  const auto p0 = pick_free_port(), p1 = pick_free_port();
  auto args = [](std::uint16_t port, std::uint16_t peer, const std::string& id, const char* delay_ms) {
    return router_process::server_args(
        {"--port", std::to_string(port), "--no-persistence", "--federation-mode", "mesh", "--federation-id", id,
         "--federation-namespaces", "/" + id + "/**", "--federation-peers",
         "ws://127.0.0.1:" + std::to_string(peer), "--federation-reconnect-delay-ms", delay_ms});
  };
  // site-0 starts alone (its link fails and retries in ~3 s); site-1's link
  // to it comes up at once and carries the streams until site-0's declares.
  router_process r0(args(p0, p1, "site-0", "3000"));
  router_process r1(args(p1, p0, "site-1", "200"));
  std::string last;
  ASSERT_TRUE(fedtest::wait_peers(
      p1, [](const json& p) { return fedtest::peer_active(p, "site-0"); }, millis(10000), &last))
      << last;
  update_stream streams[2];
  streams[0].site = "site-0";
  streams[0].writer = fedtest::client_at(p0, "writer-0");
  streams[0].reader = fedtest::client_at(p1, "reader-of-0");
  streams[1].site = "site-1";
  streams[1].writer = fedtest::client_at(p1, "writer-1");
  streams[1].reader = fedtest::client_at(p0, "reader-of-1");
  for (auto& st : streams) ASSERT_TRUE(fedtest::subscribe_live(*st.reader, 1, "/" + st.site + "/**"));

  constexpr int keys = 4;
  auto kept_link_active = [&] {
    auto row = fedtest::peer_entry(fedtest::peers_of(p1), "site-0");
    return row.is_object() && row.value("state", std::string{}) == "Active" && !row.value("outbound", true);
  };
  const auto deadline = std::chrono::steady_clock::now() + millis(20000);
  std::optional<std::chrono::steady_clock::time_point> switched;
  auto next_check = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    for (auto& st : streams) {
      st.write_burst(50, keys);
      st.take(st.reader->collect(millis(1)));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_check) {
      next_check = now + millis(100);
      if (!switched && kept_link_active()) switched = now;
      // Past the grace period: the redundant link is closed by now.
      if (switched && now - *switched > millis(2500)) break;
    }
  }
  ASSERT_TRUE(switched) << "site-1 never switched to the link site-0 opened: " << fedtest::peers_of(p1).dump();
  for (auto& st : streams) {
    const auto last_key = "/" + st.site + "/k" + std::to_string((st.sent - 1) % keys);
    // wait_value reads the reader's inbox itself: count what it passes over first.
    st.take(st.reader->collect(millis(200)));
    ASSERT_TRUE(fedtest::wait_value(*st.reader, last_key, st.sent - 1, fedtest::converge_timeout)) << last_key;
    st.expect_whole();
  }
  auto rows = fedtest::peers_of(p1);
  int to_site0 = 0;
  for (const auto& row : rows) to_site0 += row.value("router_id", std::string{}) == "site-0";
  EXPECT_EQ(to_site0, 1) << "one link listed once the redundant one closed: " << rows.dump();
}

// Events have no revision to tell a second copy from the first: in a ring
// (a cycle), an event published at any router must still reach every
// router's subscriber exactly once, whether its address is the publisher's
// own namespace or another router's; one nobody owns stays local
// (FEDERATION.md guarantee 2), once.
TEST(mesh_links, events_in_a_ring_reach_every_subscriber_once) {
  mesh_cluster cluster(ring_topology(4));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  std::vector<std::unique_ptr<test::wire_client>> subs;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    subs.push_back(fedtest::client_at(cluster.port(i), "sub-" + std::to_string(i)));
    ASSERT_TRUE(fedtest::subscribe_live(*subs.back(), 1, "/**"));
  }
  auto publisher = fedtest::client_at(cluster.port(2), "publisher");
  int n = 0;
  for (const std::string address : {"/site-2/button", "/site-0/button", "/nobody/button"}) {
    msg::publish ev;
    ev.signal = signal_type::event;
    ev.address = address;
    ev.val = value(++n);
    ASSERT_TRUE(publisher->send(ev));
    for (std::size_t i = 0; i < subs.size(); ++i) {
      const std::size_t expected = address == "/nobody/button" && i != 2 ? 0 : 1;
      // Waits for a first delivery (shorter where none is due), then counts more.
      auto got = fedtest::deliveries(*subs[i], address, millis(expected ? 3000 : 500), millis(500));
      EXPECT_EQ(got.size(), expected) << address << " at " << cluster.spec(i).id << ": " << fedtest::describe(got);
    }
  }
}

TEST(mesh_links, ring_routes_around_a_dead_router) {
  mesh_cluster cluster(ring_topology(5));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  // site-0's shortest path to site-2 is through site-1; kill site-1.
  cluster.kill9(1);
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  auto at0 = fedtest::client_at(cluster.port(0));
  auto at2 = fedtest::client_at(cluster.port(2));
  // The way round (0-4-3-2) carries a write-to-owner and its replica back.
  std::optional<message> reply;
  const auto deadline = std::chrono::steady_clock::now() + settle_timeout;
  do {
    reply = fedtest::set_reply(*at0, fedtest::make_set("/site-2/around", 42), millis(8000));
  } while (reply && reply->is<msg::error>() &&
           reply->as<msg::error>().code == error_code::unavailable &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? test::describe(*reply) : "no reply");
  EXPECT_TRUE(fedtest::wait_value(*at2, "/site-2/around", 42, fedtest::converge_timeout));
  EXPECT_TRUE(fedtest::wait_value(*at0, "/site-2/around", 42, fedtest::converge_timeout))
      << "the owner's update did not come back to the writer's router";
  // The dead router's namespace has no route: a clear 501, not a local copy.
  auto dead = fedtest::set_reply(*at0, fedtest::make_set("/site-1/x", 1), millis(8000));
  ASSERT_TRUE(dead.has_value());
  ASSERT_TRUE(dead->is<msg::error>()) << test::describe(*dead);
  EXPECT_EQ(dead->as<msg::error>().code, error_code::unavailable) << test::describe(*dead);
}

// A router restarted without its state must not take a write into another
// router's namespace as its own before it has learned who owns it: that local
// copy could carry a revision the owner's value never passes. One that
// connects out answers 501 until its first neighbour declares (or, once that
// neighbour is back, forwards the write to the owner).
TEST(mesh_links, restarted_connecting_router_does_not_keep_writes_to_remote_namespaces) {
  mesh_cluster cluster(line_topology(2));  // site-1 connects to site-0
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  {
    auto at0 = fedtest::client_at(cluster.port(0));
    for (int v = 1; v <= 3; ++v) ASSERT_GT(fedtest::set_ok(*at0, "/site-0/a", v), 0u);
  }
  cluster.kill9(1);
  cluster.restart(1);
  auto at1 = fedtest::client_at(cluster.port(1));
  auto reply = fedtest::set_reply(*at1, fedtest::make_set("/site-0/a", 100), millis(8000));
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  auto at0 = fedtest::client_at(cluster.port(0));
  auto owner = fedtest::get_param(*at0, "/site-0/a");
  ASSERT_TRUE(owner.has_value());
  if (reply->is<msg::ack>()) {
    // Accepted: then it went to the owner, which numbered it after the three before.
    EXPECT_EQ(owner->val, value(100))
        << "ACKed at the restarted router, but the owner holds " << to_string(owner->val);
  } else {
    EXPECT_EQ(reply->as<msg::error>().code, error_code::unavailable) << test::describe(*reply);
  }
  EXPECT_TRUE(fedtest::wait_value(*at1, "/site-0/a", owner->val, fedtest::converge_timeout,
                                  owner->revision))
      << "the restarted router kept its own copy of /site-0/a";
}

// A router that only accepts peers cannot tell when they will be back, so it
// takes writes for namespaces it has not heard of; once the owner is back,
// the owner's value replaces that local copy, whatever the revisions say.
TEST(mesh_links, restarted_accepting_router_takes_the_owners_value_back) {
  mesh_cluster cluster(line_topology(2));  // site-0 only accepts
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  {
    auto at1 = fedtest::client_at(cluster.port(1));
    for (int v = 1; v <= 3; ++v) ASSERT_GT(fedtest::set_ok(*at1, "/site-1/a", v), 0u);
  }
  cluster.kill9(0);
  cluster.restart(0);
  {
    auto at0 = fedtest::client_at(cluster.port(0));
    auto reply = fedtest::set_reply(*at0, fedtest::make_set("/site-1/a", 100), millis(8000));
    ASSERT_TRUE(reply.has_value());
  }
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  auto at1 = fedtest::client_at(cluster.port(1));
  auto owner = fedtest::get_param(*at1, "/site-1/a");
  ASSERT_TRUE(owner.has_value());
  auto at0 = fedtest::client_at(cluster.port(0));
  EXPECT_TRUE(fedtest::wait_value(*at0, "/site-1/a", owner->val, fedtest::converge_timeout,
                                  owner->revision))
      << "the restarted router kept its own copy of /site-1/a";
}

// An owner restarted without its state continues its revisions above what
// its replicas hold (FEDERATION.md guarantee 3), also for its first write.
TEST(mesh_links, restarted_owner_numbers_above_its_replicas) {
  mesh_cluster cluster(line_topology(3));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  revision_t before = 0;
  {
    auto at0 = fedtest::client_at(cluster.port(0));
    for (int v = 1; v <= 3; ++v) before = fedtest::set_ok(*at0, "/site-0/a", v);
    auto at2 = fedtest::client_at(cluster.port(2));
    ASSERT_TRUE(fedtest::wait_value(*at2, "/site-0/a", 3, fedtest::converge_timeout, before));
  }
  cluster.kill9(0);
  cluster.restart(0);
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  auto at0 = fedtest::client_at(cluster.port(0));
  auto rev = fedtest::set_ok(*at0, "/site-0/a", 4);
  auto at2 = fedtest::client_at(cluster.port(2));
  EXPECT_TRUE(fedtest::wait_value(*at2, "/site-0/a", 4, fedtest::converge_timeout))
      << "the restarted owner's write (ACK rev " << rev << ", before the restart rev " << before
      << ") never replaced the replica's value";
  auto final0 = fedtest::get_param(*at0, "/site-0/a");
  auto final2 = fedtest::get_param(*at2, "/site-0/a");
  ASSERT_TRUE(final0 && final2);
  EXPECT_GT(final0->revision, before);
  EXPECT_EQ(final0->revision, final2->revision);
}

// A relay restarted without its state has a new change sequence: a
// neighbour's watermark from its previous run says nothing about it. Here
// site-1 restarts and refills from site-2 first, so its new sequence passes
// site-0's old watermark; site-0 must still get every value.
TEST(mesh_links, watermark_of_a_restarted_relay_is_not_reused) {
  // site-0 -> site-1 -> site-2, each listing the next: site-1 reaches site-2
  // at once when it restarts, site-0 only at its next reconnect attempt.
  std::vector<node_spec> nodes = line_topology(3);
  nodes[0].peers = {1};
  nodes[1].peers = {2};
  nodes[2].peers = {};
  mesh_cluster cluster(nodes);
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  auto at2 = fedtest::client_at(cluster.port(2));
  auto at0 = fedtest::client_at(cluster.port(0));
  revision_t rev = 0;
  for (int v = 0; v < 3; ++v) rev = fedtest::set_ok(*at2, "/site-2/before", v);
  ASSERT_TRUE(fedtest::wait_value(*at0, "/site-2/before", 2, fedtest::converge_timeout, rev));
  // Let site-0's reconnect backoff grow past site-1's restart time.
  cluster.kill9(1);
  constexpr int addresses = 40;
  for (int i = 0; i < addresses; ++i) fedtest::set_ok(*at2, "/site-2/k" + std::to_string(i), i);
  ASSERT_TRUE(fedtest::wait_peers(
      cluster.port(0),
      [](const json& p) {
        return p.is_array() && p.size() == 1 && p[0].value("reconnect_attempts", 0) >= 3;
      },
      settle_timeout, &why))
      << why;
  cluster.restart(1);
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  int missing = 0;
  std::string first;
  for (int i = 0; i < addresses; ++i) {
    const auto address = "/site-2/k" + std::to_string(i);
    // Anti-entropy runs every second: a value not there within three is not coming.
    if (!fedtest::wait_value(*at0, address, i, millis(3000))) {
      ++missing;
      if (first.empty()) first = address;
    }
  }
  auto at1 = fedtest::client_at(cluster.port(1));
  const auto probe = first.empty() ? std::string("/site-2/k0") : first;
  auto relay = fedtest::get_param(*at1, probe);
  std::uint16_t code = 0;
  auto here = fedtest::get_param(*at0, probe, &code);
  EXPECT_EQ(missing, 0) << "site-0 never got " << missing << " of " << addresses
                        << " values, first " << first << " (site-1 holds it: " << relay.has_value()
                        << ", site-0 answers "
                        << (here ? to_string(here->val) : std::to_string(code))
                        << "); site-0 peers " << fedtest::peers_of(cluster.port(0)).dump();
}

}  // namespace
// A neighbour that carried an owner's stream while the shorter path was down
// keeps it flowing only for a grace period once the route moves back: then
// each update reaches the router once, not once per path it ever used.
TEST(mesh_links, a_route_that_moves_back_leaves_one_copy_of_the_stream) {
  mesh_cluster cluster(ring_topology(5));
  std::string why;
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  // site-2 reaches site-0 through site-1; with site-1 dead, through site-3 and site-4.
  cluster.kill9(1);
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;
  auto writer = fedtest::client_at(cluster.port(0), "writer-0");
  auto reader = fedtest::client_at(cluster.port(2), "reader-2");
  ASSERT_GT(fedtest::set_ok(*writer, "/site-0/flap/k", 0), 0u);
  ASSERT_TRUE(fedtest::wait_value(*reader, "/site-0/flap/k", 0, fedtest::converge_timeout));
  cluster.restart(1);
  ASSERT_TRUE(cluster.wait_settled(settle_timeout, &why)) << why;

  auto stale_at_2 = [&] {
    auto s = test::scrape_metrics(cluster.port(2));
    EXPECT_TRUE(s.has_value());
    return s ? test::value_or_zero(*s, "clasp_replica_updates_stale_total") : 0.0;
  };
  // Bursts until one reaches site-2 without a second copy (the grace is 2 s).
  constexpr int burst = 200;
  int value = 0;
  double second_copies = burst;
  const auto deadline = std::chrono::steady_clock::now() + millis(15000);
  while (second_copies > burst / 10 && std::chrono::steady_clock::now() < deadline) {
    const double before = stale_at_2();
    for (int i = 0; i < burst; ++i) ASSERT_GT(fedtest::set_ok(*writer, "/site-0/flap/k", ++value), 0u);
    ASSERT_TRUE(fedtest::wait_value(*reader, "/site-0/flap/k", value, fedtest::converge_timeout));
    // The second path is longer: its copies come last; wait for them to land.
    std::string last;
    const double floor = before;
    test::wait_metrics(
        cluster.port(2),
        [&](const test::metric_samples& s) {
          return test::value_or_zero(s, "clasp_replica_updates_stale_total") - floor >= burst;
        },
        millis(300), &last);
    second_copies = stale_at_2() - before;
    std::printf("route moved back: %d updates from site-0, %.0f second copies at site-2\n", burst,
                second_copies);
  }
  EXPECT_LE(second_copies, burst / 10) << "site-3 still relays site-0's stream to site-2 as well";
}

}  // namespace clasp::meshtest
