// FEDERATION.md guarantee 3 across restarts (issue 11 item 1): an owner's
// revisions keep growing after it and its hub are SIGKILLed and restarted
// without persistence, while a replica still holds the old value.
#include <iostream>

#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

constexpr millis restart_bound{15000};
constexpr revision_t two_to_the_53 = revision_t{1} << 53;

class restart_revisions : public three_routers {};

TEST_F(restart_revisions, owner_and_hub_killed_and_restarted_next_write_outnumbers_the_replica) {
  auto at_a = client_at(a_->port(), "writer");
  auto at_b = client_at(b_->port(), "reader");
  const std::string addr = "/site-a/x";
  revision_t last = 0;
  for (int i = 1; i <= 12; ++i) {
    auto rev = set_ok(*at_a, addr, i);
    ASSERT_GT(rev, last);
    last = rev;
  }
  ASSERT_TRUE(wait_value(*at_b, addr, 12, converge_timeout, last))
      << "site-b never showed the 12th write";

  a_->kill9();
  hub_->kill9();
  hub_->restart();
  a_->restart();
  expect_converged(restart_bound);

  at_a = client_at(a_->port(), "writer-again");
  auto next = set_ok(*at_a, addr, 13);
  std::cout << "[ measure  ] revision before the restarts " << last << ", first after " << next
            << "\n";
  EXPECT_GT(next, last)
      << "the owner numbered its first write after the restart below the replica's copy";
  EXPECT_LT(next, two_to_the_53) << "revisions must stay readable as a JS Number";
  EXPECT_TRUE(wait_value(*at_b, addr, 13, restart_bound, next))
      << "site-b kept the old value instead of the owner's new write";
  auto at_b_later = get_param(*at_b, addr);
  ASSERT_TRUE(at_b_later.has_value());
  EXPECT_EQ(at_b_later->revision, next);
}

TEST_F(restart_revisions, owner_restarted_alone_continues_above_the_hubs_copy) {
  auto at_a = client_at(a_->port(), "writer");
  const std::string addr = "/site-a/y";
  revision_t last = 0;
  for (int i = 1; i <= 3; ++i) last = set_ok(*at_a, addr, i);
  auto at_hub = client_at(hub_->port(), "hub-reader");
  ASSERT_TRUE(wait_value(*at_hub, addr, 3, converge_timeout, last));

  a_->kill9();
  a_->restart();
  at_a = client_at(a_->port(), "writer-again");
  // Written at once, before the hub's copy can have come back.
  auto next = set_ok(*at_a, addr, 4);
  EXPECT_GT(next, last);
  EXPECT_TRUE(wait_value(*at_hub, addr, 4, restart_bound, next))
      << "the hub kept the pre-restart value";
  expect_converged(restart_bound);
}

}  // namespace
}  // namespace clasp::fedtest
