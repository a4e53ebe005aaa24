// Guarantee 3 (revisions): strictly increasing at every site; a replica never
// takes an update older than what it holds.
#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

class revisions : public three_routers {};

TEST_F(revisions, repeated_sets_increase_strictly_at_every_site) {
  auto at_hub = client_at(hub_->port(), "sub-hub");
  auto at_b = client_at(b_->port(), "sub-b");
  auto at_a = client_at(a_->port(), "sub-a");
  for (auto* c : {at_hub.get(), at_b.get(), at_a.get()}) ASSERT_TRUE(subscribe_live(*c, 3, "/site-a/**"));

  auto writer = client_at(a_->port(), "writer");
  const std::string addr = "/site-a/counter";
  constexpr int n = 20;
  revision_t last = 0;
  for (int i = 1; i <= n; ++i) {
    auto rev = set_ok(*writer, addr, i);
    ASSERT_GT(rev, last) << "ACK revisions must increase strictly at the owner";
    last = rev;
  }
  const char* names[] = {"hub", "site-b", "site-a"};
  int k = 0;
  for (auto* c : {at_hub.get(), at_b.get(), at_a.get()}) {
    std::vector<revision_t> seen;
    value final_val;
    const auto deadline = std::chrono::steady_clock::now() + converge_timeout;
    while ((seen.empty() || seen.back() < last) && std::chrono::steady_clock::now() < deadline) {
      auto m = c->recv(millis(500));
      if (!m || !m->is<msg::set>() || m->as<msg::set>().address != addr) continue;
      ASSERT_TRUE(m->as<msg::set>().revision.has_value()) << "a delivered SET must carry its revision";
      seen.push_back(*m->as<msg::set>().revision);
      final_val = m->as<msg::set>().val;
    }
    ASSERT_FALSE(seen.empty()) << names[k] << " received nothing";
    for (std::size_t i = 1; i < seen.size(); ++i)
      EXPECT_LT(seen[i - 1], seen[i]) << names[k] << ": revision " << seen[i] << " after " << seen[i - 1];
    EXPECT_EQ(seen.back(), last) << names[k] << " never received the last revision";
    EXPECT_EQ(final_val, value(n)) << names[k];
    ++k;
  }
}

TEST(revisions_hostile, stale_replica_update_does_not_overwrite) {
  router_process hub(hub_args("hub"));
  router_process leaf(leaf_args(hub.port(), "/site-b/**", "site-b"));
  raw_peer peer;
  ASSERT_TRUE(peer.join_as(hub.port(), "site-c", {"/site-c/**"}));
  std::string last;
  ASSERT_TRUE(wait_peers(leaf.port(), [](const json& p) { return peer_active(p, "hub", "/site-c/**"); },
                         converge_timeout, &last))
      << "site-b never learned site-c's namespace: " << last;

  const std::string addr = "/site-c/v";
  auto fresh = make_set(addr, std::string("fresh"));
  fresh.revision = 10;
  ASSERT_TRUE(peer.wire().send(fresh));
  auto at_hub = client_at(hub.port(), "hub-client");
  auto at_b = client_at(leaf.port(), "b-client");
  ASSERT_TRUE(wait_value(*at_hub, addr, std::string("fresh"), converge_timeout, 10))
      << "hub did not store the owner's update";
  ASSERT_TRUE(wait_value(*at_b, addr, std::string("fresh"), converge_timeout, 10))
      << "site-b did not receive the owner's update";

  auto stale = make_set(addr, std::string("stale"));
  stale.revision = 5;
  ASSERT_TRUE(peer.wire().send(stale));
  auto same = make_set(addr, std::string("duplicate"));
  same.revision = 10;
  ASSERT_TRUE(peer.wire().send(same));
  // A newer update after the stale ones proves they were processed.
  auto newer = make_set("/site-c/after", 1);
  newer.revision = 11;
  ASSERT_TRUE(peer.wire().send(newer));
  ASSERT_TRUE(wait_value(*at_b, "/site-c/after", 1, converge_timeout));

  for (auto* c : {at_hub.get(), at_b.get()}) {
    auto p = get_param(*c, addr);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->val, value(std::string("fresh"))) << "a stale or duplicate replica update overwrote";
    EXPECT_EQ(p->revision, 10u);
  }
}

}  // namespace
}  // namespace clasp::fedtest
