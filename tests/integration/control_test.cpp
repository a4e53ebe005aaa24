// PING/PONG, SYNC clock exchange and QUERY/RESULT at the wire.
#include <algorithm>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using control_test = router_test;

TEST_F(control_test, ping_gets_pong) {
  auto c = client();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->send(msg::ping{}));
    EXPECT_TRUE(c->expect<msg::pong>().has_value());
  }
}

TEST_F(control_test, sync_echoes_t1_and_sets_t2_t3) {
  auto c = client();
  msg::sync s;
  s.t1 = 1234567890123ull;
  ASSERT_TRUE(c->send(s));
  auto reply = c->expect<msg::sync>();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->t1, s.t1);
  ASSERT_TRUE(reply->t2.has_value());
  ASSERT_TRUE(reply->t3.has_value());
  EXPECT_GT(*reply->t2, 0u);
  EXPECT_GE(*reply->t3, *reply->t2) << "the server sends (t3) after it receives (t2)";
}

TEST_F(control_test, query_lists_matching_known_params) {
  auto c = client();
  set_ok(*c, "/qr/a", 1);
  set_ok(*c, "/qr/sub/b", "x");
  set_ok(*c, "/other/c", 2);
  msg::query q;
  q.pattern = "/qr/**";
  ASSERT_TRUE(c->send(q));
  auto r = c->expect<msg::result>();
  ASSERT_TRUE(r.has_value());
  std::vector<std::string> addresses;
  for (const auto& s : r->signals) {
    addresses.push_back(s.address);
    EXPECT_EQ(s.type, signal_type::param) << s.address;
  }
  std::sort(addresses.begin(), addresses.end());
  EXPECT_EQ(addresses, (std::vector<std::string>{"/qr/a", "/qr/sub/b"}));
}

}  // namespace
}  // namespace clasp::test
