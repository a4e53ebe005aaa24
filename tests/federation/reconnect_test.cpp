// Guarantees 4 and 7 (sync after reconnect, removals travel): hub and leaf
// restarts with writes made while a link was down, and TTL expiry.
#include <iostream>

#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

constexpr millis restart_bound{15000};

class reconnect : public three_routers {};

TEST_F(reconnect, write_while_hub_down_reaches_site_b_after_hub_restart) {
  auto at_a = client_at(a_->port(), "a");
  auto at_b = client_at(b_->port(), "b");
  auto r0 = set_ok(*at_a, "/site-a/before", 1);
  ASSERT_TRUE(wait_value(*at_b, "/site-a/before", 1, converge_timeout, r0));

  hub_->kill9();
  std::string last;
  ASSERT_TRUE(wait_peers(a_->port(), [](const json& p) { return !peer_active(p, "hub"); }, converge_timeout,
                         &last))
      << "site-a still shows the dead hub Active: " << last;
  // Site-a keeps serving its own namespace while the hub is away.
  auto rev = set_ok(*at_a, "/site-a/during", 2);
  ASSERT_GT(rev, 0u);

  const auto t0 = std::chrono::steady_clock::now();
  hub_->restart();
  const bool got = wait_value(*at_b, "/site-a/during", 2, restart_bound, rev);
  const auto took = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - t0);
  EXPECT_TRUE(got) << "site-b did not get the write made while the hub was down within 15 s";
  std::cout << "[ measure  ] hub restart -> write visible at site-b: " << took.count() << " ms\n";
  // And the value written before the outage is still there.
  auto p = get_param(*at_b, "/site-a/before");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(1));
}

TEST_F(reconnect, restarted_leaf_converges) {
  auto at_a = client_at(a_->port(), "a");
  ASSERT_GT(set_ok(*at_a, "/site-a/old", 1), 0u);
  b_->kill9();
  std::string last;
  ASSERT_TRUE(wait_peers(hub_->port(), [](const json& p) { return !peer_active(p, "site-b"); },
                         converge_timeout, &last))
      << "hub still shows the dead site-b Active: " << last;
  auto rev = set_ok(*at_a, "/site-a/new", 2);
  b_->restart();
  auto at_b = client_at(b_->port(), "b");
  EXPECT_TRUE(wait_value(*at_b, "/site-a/new", 2, restart_bound, rev))
      << "restarted site-b never got the write made while it was down";
  EXPECT_TRUE(wait_value(*at_b, "/site-a/old", 1, restart_bound)) << "restarted site-b lacks older state";
}

msg::set with_ttl(const std::string& addr, value v, std::uint32_t seconds) {
  auto s = make_set(addr, std::move(v));
  s.ttl = ttl_spec{false, seconds};
  return s;
}

TEST_F(reconnect, ttl_expiry_at_owner_removes_the_replica) {
  auto at_a = client_at(a_->port(), "a");
  auto at_b = client_at(b_->port(), "b");
  auto reply = set_reply(*at_a, with_ttl("/site-a/ephemeral", 1, 1));
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? test::describe(*reply) : "no reply");
  ASSERT_TRUE(wait_value(*at_b, "/site-a/ephemeral", 1, converge_timeout)) << "site-b never got the param";
  EXPECT_TRUE(wait_absent(*at_a, "/site-a/ephemeral", millis(5000))) << "TTL did not expire at the owner";
  EXPECT_TRUE(wait_absent(*at_b, "/site-a/ephemeral", millis(5000))) << "expiry did not reach site-b";
}

TEST_F(reconnect, ttl_expiry_while_link_down_reaches_site_b_after_resync) {
  auto at_a = client_at(a_->port(), "a");
  auto at_b = client_at(b_->port(), "b");
  // Long enough that the hub is surely down before it expires.
  auto reply = set_reply(*at_a, with_ttl("/site-a/ephemeral", 1, 2));
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? test::describe(*reply) : "no reply");
  ASSERT_TRUE(wait_value(*at_b, "/site-a/ephemeral", 1, converge_timeout)) << "site-b never got the param";
  hub_->kill9();
  ASSERT_TRUE(wait_absent(*at_a, "/site-a/ephemeral", millis(6000))) << "TTL did not expire at the owner";
  hub_->restart();
  EXPECT_TRUE(wait_absent(*at_b, "/site-a/ephemeral", restart_bound))
      << "the removal made while site-b's link was down never reached it (stale replica kept)";
  expect_converged(restart_bound);
}

}  // namespace
}  // namespace clasp::fedtest
