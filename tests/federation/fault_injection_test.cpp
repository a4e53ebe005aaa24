// Guarantee 7 under fault injection: killing a leaf's link actors (test-only
// admin request) is repaired by the reconnect supervisor; a dead hub ends Failed.
#include <chrono>
#include <thread>

#include "tests/federation/fed_test.hpp"
#include "tests/federation/http_post.hpp"
#include "tests/support/http_get.hpp"

namespace clasp::fedtest {
namespace {

// Longer first delay so the Disconnected state is observable before the retry.
class kill_links : public three_routers {
 protected:
  kill_links() { leaf_extra_ = {"--test-admin", "--federation-reconnect-delay-ms", "800"}; }
};

TEST_F(kill_links, supervisor_restores_the_link_and_state_converges) {
  auto r = http_post(a_->port(), "/admin/kill-links");
  ASSERT_EQ(r.status, 200) << "POST /admin/kill-links: " << r.error << " " << r.body;

  auto at_b = client_at(b_->port(), "b");
  // A write made at site-b after the kill, possibly while site-a is away.
  auto rev = set_ok(*at_b, "/site-b/after-kill", 7);
  ASSERT_GT(rev, 0u);

  // Watch site-a's view of the hub: it must leave Active, count an attempt, and come back.
  bool left_active = false;
  long max_attempts = 0;
  bool back = false;
  std::string last;
  const auto deadline = std::chrono::steady_clock::now() + converge_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto peers = peers_of(a_->port());
    last = peers.dump();
    auto hub = peer_entry(peers, "hub");
    if (hub.is_object()) {
      max_attempts = std::max<long>(max_attempts, hub.value("reconnect_attempts", 0L));
      if (hub.value("state", std::string{}) != "Active") left_active = true;
      else if (left_active) {
        back = true;
        break;
      }
    }
    std::this_thread::sleep_for(millis(10));
  }
  EXPECT_TRUE(left_active) << "site-a's hub link never left Active after kill-links: " << last;
  EXPECT_GE(max_attempts, 1) << "reconnect_attempts never showed the retry: " << last;
  ASSERT_TRUE(back) << "the reconnect supervisor did not restore site-a's link: " << last;
  expect_converged();

  auto at_a = client_at(a_->port(), "a");
  EXPECT_TRUE(wait_value(*at_a, "/site-b/after-kill", 7, converge_timeout, rev))
      << "a write made at site-b after the kill never reached site-a";
  // And the restored link carries new traffic both ways.
  auto rev2 = set_ok(*at_a, "/site-a/after-restore", 8);
  EXPECT_TRUE(wait_value(*at_b, "/site-a/after-restore", 8, converge_timeout, rev2));
}

// POST /admin/kill?actor=session on a router without peers kills its client
// sessions and counts only live ones: a client that already left (its timers
// may still point at it) is not counted again.
TEST(admin_kill, sessions_counts_only_live_client_sessions) {
  router_process hub(hub_args("hub", {"--test-admin"}));
  auto kill_sessions = [&] { return http_post(hub.port(), "/admin/kill?actor=session"); };
  auto none = kill_sessions();
  EXPECT_EQ(none.status, 404) << none.body;

  {
    auto passing = client_at(hub.port(), "passing");
    ASSERT_GT(set_ok(*passing, "/x/passing", 1), 0u);
  }  // closed: its session ends
  auto staying = client_at(hub.port(), "staying");
  ASSERT_GT(set_ok(*staying, "/x/staying", 2), 0u);
  // The passing client's session ends asynchronously: wait until the store
  // has let it go (GET /stats "sessions").
  std::string stats;
  auto wait_sessions = [&](int expected) {
    const auto deadline = std::chrono::steady_clock::now() + converge_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      stats = test::http_get(hub.port(), "/stats").body;
      auto j = json::parse(stats, nullptr, false);
      if (j.is_object() && j.value("sessions", -1) == expected) return true;
      std::this_thread::sleep_for(millis(10));  // polling a bounded condition
    }
    return false;
  };
  ASSERT_TRUE(wait_sessions(1)) << stats;
  auto r = kill_sessions();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).value("count", 0), 1) << r.body;

  // The killed client's connection is gone; once the store has let the
  // session go, nothing is left to kill.
  EXPECT_TRUE(staying->is_closed()) << "the killed session closed its socket";
  ASSERT_TRUE(wait_sessions(0)) << stats;
  auto again = kill_sessions();
  EXPECT_EQ(again.status, 404) << again.body;
  expect_serves_clients(hub.port());
}

TEST(dead_hub, leaf_ends_failed_after_max_attempts) {
  // A port nobody listens on: take a free one from a router, then stop it.
  std::uint16_t dead_port = 0;
  {
    router_process probe(router_process::server_args({"--no-persistence"}));
    dead_port = probe.port();
    probe.terminate();
  }
  router_process leaf(leaf_args(dead_port, "/site-a/**", "site-a",
                                {"--federation-max-reconnect-attempts", "3",
                                 "--federation-reconnect-delay-ms", "100"}));
  std::string last;
  ASSERT_TRUE(wait_peers(
      leaf.port(),
      [](const json& p) {
        return p.is_array() && p.size() == 1 && p[0].value("state", std::string{}) == "Failed";
      },
      converge_timeout, &last))
      << "leaf never reached Failed: " << last;
  auto p = peers_of(leaf.port())[0];
  EXPECT_EQ(p.value("reconnect_attempts", -1L), 3) << p.dump();
  EXPECT_FALSE(p.value("last_error", std::string{}).empty()) << "Failed without a reason: " << p.dump();
  EXPECT_EQ(p.value("outbound", false), true) << p.dump();
  EXPECT_NE(p.value("endpoint", std::string{}).find(std::to_string(dead_port)), std::string::npos) << p.dump();
  // It stays Failed (no further attempts) over a short observation window.
  const auto until = std::chrono::steady_clock::now() + millis(600);
  while (std::chrono::steady_clock::now() < until) {
    auto again = peers_of(leaf.port())[0];
    ASSERT_EQ(again.value("state", std::string{}), "Failed") << again.dump();
    ASSERT_EQ(again.value("reconnect_attempts", -1L), 3) << again.dump();
    std::this_thread::sleep_for(millis(50));
  }
  expect_serves_clients(leaf.port());
}

// FEDERATION.md guarantee 7: Failed "stays so until restarted or re-enabled".
TEST(dead_hub, failed_link_comes_back_when_re_enabled) {
  std::uint16_t hub_port = 0;
  {
    router_process probe(router_process::server_args({"--no-persistence"}));
    hub_port = probe.port();
    probe.terminate();
  }
  router_process leaf(leaf_args(hub_port, "/site-a/**", "site-a",
                                {"--federation-max-reconnect-attempts", "1",
                                 "--federation-reconnect-delay-ms", "100"}));
  std::string last;
  ASSERT_TRUE(wait_peers(leaf.port(),
                         [](const json& p) {
                           return p.is_array() && p.size() == 1 &&
                                  p[0].value("state", std::string{}) == "Failed";
                         },
                         converge_timeout, &last))
      << "leaf never reached Failed: " << last;
  // The hub appears on that port; the leaf stays Failed until told otherwise...
  router_process hub(hub_args("hub", {"--port", std::to_string(hub_port)}));
  const auto until = std::chrono::steady_clock::now() + millis(500);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(peers_of(leaf.port())[0].value("state", std::string{}), "Failed");
    std::this_thread::sleep_for(millis(50));
  }
  // ...and is re-enabled by an operator.
  auto r = http_post(leaf.port(), "/federation/peers/reconnect");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(wait_peers(leaf.port(), [](const json& p) { return peer_active(p, "hub"); },
                         converge_timeout, &last))
      << "re-enabled link never reached Active: " << last;
}

}  // namespace
}  // namespace clasp::fedtest
