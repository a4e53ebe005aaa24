// Guarantee 2 (ownership): writes are routed to the owner, which assigns the
// revision; an unreachable owner yields ERROR 501; unowned addresses stay local.
#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

constexpr millis first_delivery{5000};
constexpr millis dup_window{1000};

class write_to_owner : public three_routers {};

// A write to /site-a/x made at `writer_port` is applied by site-a and seen once everywhere.
void expect_routed_to_owner(router_process& owner, router_process& hub, router_process& other,
                            std::uint16_t writer_port, const std::string& addr, value v) {
  auto at_owner = client_at(owner.port(), "sub-owner");
  auto at_hub = client_at(hub.port(), "sub-hub");
  auto at_other = client_at(other.port(), "sub-other");
  for (auto* c : {at_owner.get(), at_hub.get(), at_other.get()}) ASSERT_TRUE(subscribe_live(*c, 7, "/site-a/**"));

  // The owner's current revision, to check the new one is the owner's next.
  std::uint16_t code = 0;
  auto before = get_param(*at_owner, addr, &code);
  const revision_t before_rev = before ? before->revision : 0;

  auto writer = client_at(writer_port, "writer");
  auto reply = set_reply(*writer, make_set(addr, v));
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is<msg::ack>()) << "writer expected an ACK, got " << test::describe(*reply);
  const auto rev = reply->as<msg::ack>().revision;
  ASSERT_TRUE(rev.has_value()) << "the relayed ACK must carry the owner's revision";

  const char* names[] = {"site-a", "hub", "site-b"};
  int i = 0;
  for (auto* c : {at_owner.get(), at_hub.get(), at_other.get()}) {
    auto got = deliveries(*c, addr, first_delivery, dup_window);
    ASSERT_EQ(got.size(), 1u) << "subscriber at " << names[i] << ": " << describe(got);
    EXPECT_EQ(got[0].val, v);
    EXPECT_EQ(got[0].revision, rev);
    ++i;
  }

  auto p = get_param(*at_owner, addr);
  ASSERT_TRUE(p.has_value()) << "owner site-a did not apply the write to " << addr;
  EXPECT_EQ(p->val, v);
  EXPECT_EQ(p->revision, *rev) << "the ACK's revision must be the one site-a assigned";
  EXPECT_GT(p->revision, before_rev);
}

TEST_F(write_to_owner, write_at_site_b_is_applied_by_site_a) {
  expect_routed_to_owner(*a_, *hub_, *b_, b_->port(), "/site-a/x", 11);
}

TEST_F(write_to_owner, write_at_hub_is_applied_by_site_a) {
  expect_routed_to_owner(*a_, *hub_, *b_, hub_->port(), "/site-a/x", 12);
}

TEST_F(write_to_owner, owner_keeps_numbering_after_remote_writes) {
  auto at_a = client_at(a_->port(), "a");
  auto r1 = set_ok(*at_a, "/site-a/x", 1);
  auto at_b = client_at(b_->port(), "b");
  auto r2 = set_ok(*at_b, "/site-a/x", 2);
  auto r3 = set_ok(*at_a, "/site-a/x", 3);
  EXPECT_LT(r1, r2);
  EXPECT_LT(r2, r3);
  EXPECT_TRUE(wait_value(*at_b, "/site-a/x", 3, converge_timeout, r3)) << "site-b never saw revision " << r3;
}

TEST_F(write_to_owner, write_with_owner_down_gets_501) {
  auto at_b = client_at(b_->port(), "writer-b");
  a_->kill9();
  // Once the hub notices, a write into site-a's namespace must be refused, not applied locally.
  std::string last;
  ASSERT_TRUE(wait_peers(hub_->port(), [](const json& p) { return !peer_active(p, "site-a"); },
                         converge_timeout, &last))
      << "hub still shows site-a Active after SIGKILL: " << last;
  auto reply = set_reply(*at_b, make_set("/site-a/x", 5), millis(10000));
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is<msg::error>()) << "expected ERROR 501, got " << test::describe(*reply);
  EXPECT_EQ(reply->as<msg::error>().code, error_code::unavailable) << test::describe(*reply);
  EXPECT_FALSE(reply->as<msg::error>().message.empty()) << "the 501 must say why";
  std::uint16_t code = 0;
  auto p = get_param(*at_b, "/site-a/x", &code);
  EXPECT_FALSE(p.has_value()) << "site-b applied a write it does not own (value "
                              << (p ? to_string(p->val) : "") << ")";
}

TEST_F(write_to_owner, unowned_address_stays_local) {
  auto at_a = client_at(a_->port(), "a");
  auto at_b = client_at(b_->port(), "b");
  auto at_hub = client_at(hub_->port(), "hub");
  ASSERT_GT(set_ok(*at_a, "/local/x", 9), 0u);
  // Prove the links are flowing (a later owned write arrives) before checking absence.
  auto rev = set_ok(*at_a, "/site-a/marker", 1);
  ASSERT_TRUE(wait_value(*at_b, "/site-a/marker", 1, converge_timeout, rev));
  ASSERT_TRUE(wait_value(*at_hub, "/site-a/marker", 1, converge_timeout, rev));
  for (auto* c : {at_b.get(), at_hub.get()}) {
    std::uint16_t code = 0;
    auto p = get_param(*c, "/local/x", &code);
    EXPECT_FALSE(p.has_value()) << "/local/x leaked to another router";
    EXPECT_EQ(code, error_code::address_not_found);
  }
  auto p = get_param(*at_a, "/local/x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(9));
}

}  // namespace
}  // namespace clasp::fedtest
