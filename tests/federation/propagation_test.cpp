// Guarantee 1 (propagation, exactly once) across hub + two leaves, both ways,
// and PUBLISH forwarded but never stored.
#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

constexpr millis first_delivery{5000};
constexpr millis dup_window{1000};

class propagation : public three_routers {};

TEST_F(propagation, set_at_site_a_reaches_hub_and_site_b_exactly_once) {
  auto at_hub = client_at(hub_->port(), "sub-hub");
  auto at_b = client_at(b_->port(), "sub-b");
  ASSERT_TRUE(subscribe_live(*at_hub, 1, "/site-a/**"));
  ASSERT_TRUE(subscribe_live(*at_b, 1, "/site-a/**"));

  auto writer = client_at(a_->port(), "writer-a");
  const std::string addr = "/site-a/lights/1/brightness";
  auto rev = set_ok(*writer, addr, 0.75);
  ASSERT_GT(rev, 0u);

  auto hub_got = deliveries(*at_hub, addr, first_delivery, dup_window);
  auto b_got = deliveries(*at_b, addr, first_delivery, dup_window);
  ASSERT_EQ(hub_got.size(), 1u) << "hub subscriber: " << describe(hub_got);
  ASSERT_EQ(b_got.size(), 1u) << "site-b subscriber: " << describe(b_got);
  EXPECT_EQ(hub_got[0].val, value(0.75));
  EXPECT_EQ(b_got[0].val, value(0.75));
  EXPECT_EQ(b_got[0].revision, std::optional<revision_t>(rev)) << "replica must keep the owner's revision";

  auto p = get_param(*at_b, addr);
  ASSERT_TRUE(p.has_value()) << "GET at site-b did not return " << addr;
  EXPECT_EQ(p->val, value(0.75));
  EXPECT_EQ(p->revision, rev);
}

TEST_F(propagation, set_at_site_b_reaches_hub_and_site_a_exactly_once) {
  auto at_hub = client_at(hub_->port(), "sub-hub");
  auto at_a = client_at(a_->port(), "sub-a");
  ASSERT_TRUE(subscribe_live(*at_hub, 1, "/site-b/**"));
  ASSERT_TRUE(subscribe_live(*at_a, 1, "/site-b/**"));

  auto writer = client_at(b_->port(), "writer-b");
  const std::string addr = "/site-b/doors/front";
  auto rev = set_ok(*writer, addr, std::string("open"));
  ASSERT_GT(rev, 0u);

  auto hub_got = deliveries(*at_hub, addr, first_delivery, dup_window);
  auto a_got = deliveries(*at_a, addr, first_delivery, dup_window);
  EXPECT_EQ(hub_got.size(), 1u) << "hub subscriber: " << describe(hub_got);
  EXPECT_EQ(a_got.size(), 1u) << "site-a subscriber: " << describe(a_got);

  auto p = get_param(*at_a, addr);
  ASSERT_TRUE(p.has_value()) << "GET at site-a did not return " << addr;
  EXPECT_EQ(p->val, value(std::string("open")));
}

TEST_F(propagation, publish_is_forwarded_once_and_never_stored) {
  auto at_hub = client_at(hub_->port(), "sub-hub");
  auto at_b = client_at(b_->port(), "sub-b");
  ASSERT_TRUE(subscribe_live(*at_hub, 1, "/site-a/**"));
  ASSERT_TRUE(subscribe_live(*at_b, 1, "/site-a/**"));

  auto writer = client_at(a_->port(), "writer-a");
  const std::string addr = "/site-a/buttons/1/pressed";
  msg::publish ev;
  ev.signal = signal_type::event;
  ev.address = addr;
  ev.val = value(true);
  ASSERT_TRUE(writer->send(ev));

  auto hub_got = deliveries(*at_hub, addr, first_delivery, dup_window);
  auto b_got = deliveries(*at_b, addr, first_delivery, dup_window);
  ASSERT_EQ(hub_got.size(), 1u) << "hub subscriber: " << describe(hub_got);
  ASSERT_EQ(b_got.size(), 1u) << "site-b subscriber: " << describe(b_got);
  EXPECT_EQ(hub_got[0].kind, message_type::publish);
  EXPECT_EQ(b_got[0].kind, message_type::publish);
  EXPECT_EQ(b_got[0].val, value(true));

  for (auto* c : {at_hub.get(), at_b.get(), writer.get()}) {
    std::uint16_t code = 0;
    auto p = get_param(*c, addr, &code);
    EXPECT_FALSE(p.has_value()) << "an event was stored as a param";
    EXPECT_EQ(code, error_code::address_not_found);
  }
}

}  // namespace
}  // namespace clasp::fedtest
