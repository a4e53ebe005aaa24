// SET at the wire: ACK and revisions, fan-out with revision, conditional
// writes, locks (and their release on disconnect) and TTL expiry.
#include <chrono>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using set_test = router_test;
using clock_type = std::chrono::steady_clock;

TEST_F(set_test, ack_names_address_and_revisions_increase_per_address) {
  auto c = client();
  revision_t last = 0;
  for (int i = 0; i < 5; ++i) {
    revision_t r = set_ok(*c, "/rev/a", i);
    EXPECT_GT(r, last) << "revision of write " << i;
    last = r;
  }
  revision_t b1 = set_ok(*c, "/rev/b", "x");
  revision_t b2 = set_ok(*c, "/rev/b", "y");
  EXPECT_GT(b2, b1);
}

TEST_F(set_test, subscriber_receives_set_with_its_revision) {
  auto sub = client("sub");
  auto writer = client("writer");
  ASSERT_TRUE(sub->send(make_subscribe(1, "/fan/**")));
  ASSERT_TRUE(await_live(*sub, *writer, make_set("/fan/probe", 0), "/fan/probe"));

  revision_t r = set_ok(*writer, "/fan/x", 42);
  auto got = sub->recv_until<msg::set>([](const msg::set& s) { return s.address == "/fan/x"; });
  ASSERT_TRUE(got.has_value()) << "subscriber never received SET /fan/x";
  EXPECT_EQ(got->val, value(42));
  EXPECT_EQ(got->revision, std::optional<revision_t>(r)) << "fan-out must carry the ACKed revision";
}

TEST_F(set_test, writer_receives_its_own_set_when_subscribed) {
  auto c = client();
  set_ok(*c, "/own/x", 1);
  ASSERT_TRUE(c->send(make_subscribe(7, "/own/**")));
  // The snapshot proves the subscription is in place.
  auto snap = c->expect<msg::snapshot>(default_timeout, skip::pings);
  ASSERT_TRUE(snap.has_value());

  ASSERT_TRUE(c->send(make_set("/own/x", 2), codec::qos::confirm));
  std::optional<msg::ack> ack;
  std::optional<msg::set> echo;
  const auto deadline = clock_type::now() + default_timeout;
  while ((!ack || !echo) && clock_type::now() < deadline) {
    auto m = c->recv(millis(500));
    if (!m) continue;
    if (m->is<msg::ack>() && m->as<msg::ack>().address == std::string("/own/x")) {
      ack = m->as<msg::ack>();
    }
    if (m->is<msg::set>() && m->as<msg::set>().address == "/own/x") echo = m->as<msg::set>();
    if (m->is<msg::error>()) ADD_FAILURE() << describe(*m);
  }
  ASSERT_TRUE(ack.has_value()) << "no ACK";
  ASSERT_TRUE(echo.has_value()) << "the writer, being subscribed, must receive its own SET";
  EXPECT_EQ(echo->val, value(2));
  EXPECT_EQ(echo->revision, ack->revision);
}

TEST_F(set_test, conditional_set_with_wrong_revision_is_400_and_changes_nothing) {
  auto c = client();
  revision_t r1 = set_ok(*c, "/cond/x", 1);
  ASSERT_GT(r1, 0u);

  auto bad = make_set("/cond/x", 2);
  bad.revision = r1 + 1000;
  auto reply = set_reply(*c, bad);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is<msg::error>()) << describe(*reply);
  EXPECT_EQ(reply->as<msg::error>().code, error_code::bad_request);

  auto p = get_param(*c, "/cond/x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(1));
  EXPECT_EQ(p->revision, r1);

  // The right revision succeeds.
  auto good = make_set("/cond/x", 3);
  good.revision = r1;
  reply = set_reply(*c, good);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is<msg::ack>()) << describe(*reply);
  EXPECT_GT(reply->as<msg::ack>().revision.value_or(0), r1);
  p = get_param(*c, "/cond/x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(3));
}

TEST_F(set_test, lock_refuses_other_writers_until_unlocked) {
  auto holder = client("holder");
  auto other = client("other");

  auto lock = make_set("/lock/x", 1);
  lock.lock = true;
  auto reply = set_reply(*holder, lock);
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? describe(*reply) : "no reply");

  reply = set_reply(*other, make_set("/lock/x", 2));
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is<msg::error>()) << describe(*reply);
  EXPECT_EQ(reply->as<msg::error>().code, error_code::lock_held);
  auto p = get_param(*other, "/lock/x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(1)) << "a refused write must not change the value";

  // The holder keeps writing.
  set_ok(*holder, "/lock/x", 3);

  auto unlock = make_set("/lock/x", 4);
  unlock.unlock = true;
  reply = set_reply(*holder, unlock);
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? describe(*reply) : "no reply");

  set_ok(*other, "/lock/x", 5);
  p = get_param(*other, "/lock/x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(5));
}

TEST_F(set_test, lock_is_released_when_its_holder_disconnects) {
  auto holder = client("holder");
  auto other = client("other");
  auto lock = make_set("/lock/y", 1);
  lock.lock = true;
  auto reply = set_reply(*holder, lock);
  ASSERT_TRUE(reply && reply->is<msg::ack>());
  reply = set_reply(*other, make_set("/lock/y", 2));
  ASSERT_TRUE(reply && reply->is<msg::error>());
  EXPECT_EQ(reply->as<msg::error>().code, error_code::lock_held);

  holder->close();
  holder.reset();

  // The disconnect is processed asynchronously: retry for a bounded time.
  bool accepted = false;
  const auto deadline = clock_type::now() + std::chrono::seconds(5);
  while (!accepted && clock_type::now() < deadline) {
    reply = set_reply(*other, make_set("/lock/y", 3));
    ASSERT_TRUE(reply.has_value());
    if (reply->is<msg::ack>()) {
      accepted = true;
    } else {
      ASSERT_EQ(reply->as<msg::error>().code, error_code::lock_held) << describe(*reply);
      EXPECT_FALSE(other->recv(millis(50)).has_value());  // paces the retries
    }
  }
  EXPECT_TRUE(accepted) << "lock still held 5 s after its holder disconnected";
}

TEST_F(set_test, set_with_ttl_expires) {
  auto c = client();
  auto s = make_set("/ttl/x", 1.5);
  s.ttl = ttl_spec{false, 1};
  const auto sent = clock_type::now();
  auto reply = set_reply(*c, s);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is<msg::ack>()) << "TTL SET refused: " << describe(*reply);
  set_ok(*c, "/ttl/keep", 2);

  auto p = get_param(*c, "/ttl/x");
  EXPECT_TRUE(p.has_value()) << "a 1 s TTL param must exist right after its ACK";

  std::uint16_t code = 0;
  const auto deadline = sent + std::chrono::seconds(6);
  while (clock_type::now() < deadline) {
    code = 0;
    if (!get_param(*c, "/ttl/x", &code)) break;
    EXPECT_FALSE(c->recv(millis(100)).has_value());  // paces the polling
  }
  EXPECT_EQ(code, error_code::address_not_found) << "param with ttl 1 s still there after 6 s";
  EXPECT_GE(clock_type::now() - sent, std::chrono::milliseconds(900))
      << "a 1 s TTL expired too early";
  EXPECT_TRUE(get_param(*c, "/ttl/keep").has_value()) << "a param without TTL must stay";
}

}  // namespace
}  // namespace clasp::test
