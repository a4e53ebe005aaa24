// The convergence check itself, on made-up router states: it must flag
// routers that disagree, an ACKed write that is missing or replaced by an
// older revision, a value nobody sent, and leave out ACKs in a death's window.
#include <gtest/gtest.h>

#include "tests/fault/convergence.hpp"

namespace clasp::faulttest {
namespace {

test::router_state holding(std::int64_t v, revision_t rev) { return {{"/site-a/k0", {value(v), rev}}}; }

std::vector<named_state> three(const test::router_state& hub, const test::router_state& a,
                               const test::router_state& b) {
  return {{"hub", hub}, {"site-a", a}, {"site-b", b}};
}

class convergence_check : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.sent("/site-a/k0", 1);
    ledger_.sent("/site-a/k0", 2);
    ledger_.acked("/site-a/k0", 1, 5);
  }
  write_ledger ledger_;
};

TEST_F(convergence_check, agreeing_routers_holding_the_acked_write_pass) {
  const auto s = holding(1, 5);
  const auto r = check_convergence(three(s, s, s), ledger_);
  EXPECT_EQ(r.mismatches(), 0u) << describe(r);
}

TEST_F(convergence_check, a_later_write_may_replace_the_acked_one) {
  // Value 2 was sent but its ACK never came: a later revision is fine.
  const auto s = holding(2, 6);
  EXPECT_EQ(check_convergence(three(s, s, s), ledger_).mismatches(), 0u);
}

TEST_F(convergence_check, routers_that_disagree_are_divergent) {
  const auto r = check_convergence(three(holding(1, 5), holding(2, 6), holding(1, 5)), ledger_);
  EXPECT_EQ(r.divergent, 1u) << describe(r);
  ASSERT_FALSE(r.examples.empty());
  EXPECT_NE(r.examples[0].find("site-a 2 rev 6"), std::string::npos) << r.examples[0];
}

TEST_F(convergence_check, a_missing_or_older_acked_write_is_lost) {
  const auto older = holding(2, 4);
  auto r = check_convergence(three(older, older, older), ledger_);
  EXPECT_EQ(r.lost, 3u) << describe(r);
  EXPECT_EQ(r.divergent, 0u);
  r = check_convergence(three({}, {}, {}), ledger_);
  EXPECT_EQ(r.lost, 3u) << describe(r);
}

TEST_F(convergence_check, the_acked_revision_with_another_value_is_lost) {
  const auto other = holding(2, 5);
  EXPECT_EQ(check_convergence(three(other, other, other), ledger_).lost, 3u);
}

TEST_F(convergence_check, a_value_nobody_sent_is_foreign) {
  const auto s = holding(99, 9);
  const auto r = check_convergence(three(s, s, s), ledger_);
  EXPECT_EQ(r.foreign, 3u) << describe(r);
}

TEST_F(convergence_check, an_ack_just_before_its_owner_died_is_excused_and_counted) {
  const auto now = clock_type::now();
  ledger_.owner_died("/site-a/", now, now + std::chrono::seconds(1));
  const auto s = holding(2, 4);  // the owner came back without revision 5
  const auto r = check_convergence(three(s, s, s), ledger_);
  EXPECT_EQ(r.mismatches(), 0u) << describe(r);
  EXPECT_EQ(r.excused, 1u);
  EXPECT_EQ(r.excused_lost, 1u);
}

TEST_F(convergence_check, a_death_of_another_owner_excuses_nothing) {
  const auto now = clock_type::now();
  ledger_.owner_died("/site-b/", now, now + std::chrono::seconds(1));
  const auto s = holding(2, 4);
  EXPECT_EQ(check_convergence(three(s, s, s), ledger_).lost, 3u);
}

}  // namespace
}  // namespace clasp::faulttest
