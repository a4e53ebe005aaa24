// SUBSCRIBE/UNSUBSCRIBE at the wire: `*` and `**`, type masks, snapshots of
// current state (split under the frame limit), 202, 429.
#include <chrono>
#include <map>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using subscribe_test = router_test;
using clock_type = std::chrono::steady_clock;

// Addresses of the SETs (or PUBLISHes) `c` receives until one for `sentinel`,
// leaving out `ignore` (probe traffic). Fails the test on any ERROR.
std::vector<std::string> addresses_until(wire_client& c, const std::string& sentinel,
                                         bool publishes, const std::string& ignore) {
  std::vector<std::string> seen;
  const auto deadline = clock_type::now() + default_timeout;
  while (clock_type::now() < deadline) {
    auto m = c.recv(millis(500));
    if (!m) continue;
    if (m->is<msg::error>()) ADD_FAILURE() << "unexpected " << describe(*m);
    bool relevant = publishes ? m->is<msg::publish>() : m->is<msg::set>();
    if (!m->is<msg::set>() && !m->is<msg::publish>()) continue;
    if (!relevant) {
      ADD_FAILURE() << "type mask let through " << describe(*m);
      continue;
    }
    auto a = address_of(*m);
    if (a == ignore) continue;
    seen.push_back(a);
    if (a == sentinel) return seen;
  }
  ADD_FAILURE() << "sentinel " << sentinel << " never arrived";
  return seen;
}

TEST_F(subscribe_test, single_and_multi_segment_wildcards) {
  auto one = client("one");
  auto many = client("many");
  auto writer = client("writer");
  ASSERT_TRUE(one->send(make_subscribe(1, "/w/*/x")));
  ASSERT_TRUE(many->send(make_subscribe(1, "/w/**")));
  const std::string probe = "/w/probe/x";
  ASSERT_TRUE(await_live(*one, *writer, make_set(probe, 0), probe));
  ASSERT_TRUE(await_live(*many, *writer, make_set(probe, 0), probe));

  for (const char* a : {"/w/a/x", "/w/a/b/x", "/ww/a/x", "/w/a/y", "/x/w/a/x", "/w/end/x"}) {
    set_ok(*writer, a, 1);
  }
  EXPECT_EQ(addresses_until(*one, "/w/end/x", false, probe),
            (std::vector<std::string>{"/w/a/x", "/w/end/x"}));
  EXPECT_EQ(addresses_until(*many, "/w/end/x", false, probe),
            (std::vector<std::string>{"/w/a/x", "/w/a/b/x", "/w/a/y", "/w/end/x"}));
}

TEST_F(subscribe_test, type_mask_filters_signal_types) {
  auto params = client("params");
  auto events = client("events");
  auto writer = client("writer");
  ASSERT_TRUE(params->send(make_subscribe(1, "/m/**", type_mask::param)));
  ASSERT_TRUE(events->send(make_subscribe(1, "/m/**", type_mask::event)));
  ASSERT_TRUE(await_live(*params, *writer, make_set("/m/probe", 0), "/m/probe"));
  ASSERT_TRUE(
      await_live(*events, *writer, make_publish(signal_type::event, "/m/probe", 0), "/m/probe"));

  set_ok(*writer, "/m/a", 1);
  ASSERT_TRUE(writer->send(make_publish(signal_type::event, "/m/e", "boom")));
  ASSERT_TRUE(writer->send(make_publish(signal_type::stream, "/m/s", 0.5)));
  ASSERT_TRUE(writer->send(make_publish(signal_type::gesture, "/m/g", 1)));
  set_ok(*writer, "/m/end", 2);
  ASSERT_TRUE(writer->send(make_publish(signal_type::event, "/m/end", "done")));

  EXPECT_EQ(addresses_until(*params, "/m/end", false, "/m/probe"),
            (std::vector<std::string>{"/m/a", "/m/end"}));
  EXPECT_EQ(addresses_until(*events, "/m/end", true, "/m/probe"),
            (std::vector<std::string>{"/m/e", "/m/end"}));
}

TEST_F(subscribe_test, snapshot_of_current_state_on_subscribe) {
  auto writer = client("writer");
  revision_t ra = set_ok(*writer, "/snap/a", 1);
  set_ok(*writer, "/snap/b", "two");
  set_ok(*writer, "/snap/deep/c", true);
  set_ok(*writer, "/other/c", 3);

  auto sub = client("sub");
  ASSERT_TRUE(sub->send(make_subscribe(1, "/snap/**")));
  std::map<std::string, param_entry> got;
  const auto deadline = clock_type::now() + default_timeout;
  while (got.size() < 3 && clock_type::now() < deadline) {
    auto snap = sub->expect<msg::snapshot>(millis(1000), skip::pings);
    if (!snap) break;
    for (auto& p : snap->params) got[p.address] = p;
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got["/snap/a"].val, value(1));
  EXPECT_EQ(got["/snap/a"].revision, ra);
  EXPECT_EQ(got["/snap/b"].val, value("two"));
  EXPECT_EQ(got["/snap/deep/c"].val, value(true));
  EXPECT_EQ(got.count("/other/c"), 0u);
}

TEST_F(subscribe_test, large_snapshot_is_split_under_the_payload_limit) {
  constexpr int count = 3000;
  auto writer = client("writer");
  auto text = [](int i) {
    std::string v = "value-" + std::to_string(i) + "-";
    v.resize(100, 'x');
    return v;
  };
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(writer->send(make_set("/big/" + std::to_string(i), text(i)), codec::qos::confirm));
  }
  int acks = 0;
  while (acks < count) {
    auto m = writer->recv(millis(10000));
    ASSERT_TRUE(m.has_value()) << "only " << acks << " ACKs";
    ASSERT_FALSE(m->is<msg::error>()) << describe(*m);
    if (m->is<msg::ack>()) ++acks;
  }

  auto sub = client("sub");
  ASSERT_TRUE(sub->send(make_subscribe(1, "/big/**")));
  std::map<std::string, value> got;
  int frames = 0;
  const auto deadline = clock_type::now() + std::chrono::seconds(15);
  while (got.size() < static_cast<std::size_t>(count) && clock_type::now() < deadline) {
    auto f = sub->recv_frame(millis(2000));
    if (!f) break;
    if (!f->msg.is<msg::snapshot>()) continue;
    ++frames;
    EXPECT_LE(f->payload_size, codec::max_payload);
    for (auto& p : f->msg.as<msg::snapshot>().params) got[p.address] = p.val;
  }
  ASSERT_EQ(got.size(), static_cast<std::size_t>(count)) << "after " << frames << " frames";
  EXPECT_GE(frames, 5) << "3000 x 100-byte params need several frames";
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(got["/big/" + std::to_string(i)], value(text(i))) << i;
  }
}

TEST_F(subscribe_test, bad_pattern_is_202) {
  auto c = client();
  for (const char* pattern : {"no-slash", "/a//b", "/a/x*y"}) {
    ASSERT_TRUE(c->send(make_subscribe(9, pattern)));
    auto err = c->expect<msg::error>(default_timeout, skip::pings);
    ASSERT_TRUE(err.has_value()) << pattern;
    EXPECT_EQ(err->code, error_code::pattern_error) << pattern;
  }
  ASSERT_TRUE(c->send(msg::ping{}));
  EXPECT_TRUE(c->expect<msg::pong>().has_value()) << "session must survive a bad pattern";
}

TEST_F(subscribe_test, subscription_1001_is_429) {
  auto c = client();
  for (std::uint32_t i = 1; i <= 1000; ++i) {
    ASSERT_TRUE(c->send(make_subscribe(i, "/lim/" + std::to_string(i) + "/**")));
  }
  ASSERT_TRUE(c->send(msg::ping{}));
  for (;;) {
    auto m = c->recv(millis(10000));
    ASSERT_TRUE(m.has_value()) << "no PONG after 1000 subscriptions";
    ASSERT_FALSE(m->is<msg::error>()) << "within the limit: " << describe(*m);
    if (m->is<msg::pong>()) break;
  }
  ASSERT_TRUE(c->send(make_subscribe(1001, "/lim/1001/**")));
  auto err = c->expect<msg::error>(default_timeout, skip::others);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, error_code::too_many_subscriptions);
}

TEST_F(subscribe_test, unsubscribe_stops_delivery) {
  auto sub = client("sub");
  auto writer = client("writer");
  ASSERT_TRUE(sub->send(make_subscribe(1, "/u/**")));
  ASSERT_TRUE(await_live(*sub, *writer, make_set("/u/probe", 0), "/u/probe"));

  msg::unsubscribe u;
  u.id = 1;
  ASSERT_TRUE(sub->send(u));
  // A later subscription that is live proves the earlier UNSUBSCRIBE was handled.
  ASSERT_TRUE(sub->send(make_subscribe(2, "/v/**")));
  ASSERT_TRUE(await_live(*sub, *writer, make_set("/v/probe", 0), "/v/probe"));

  set_ok(*writer, "/u/x", 1);
  set_ok(*writer, "/v/end", 1);
  std::vector<std::string> seen;
  const auto deadline = clock_type::now() + default_timeout;
  while (clock_type::now() < deadline) {
    auto m = sub->recv(millis(500));
    if (!m || !m->is<msg::set>()) continue;
    auto a = address_of(*m);
    if (a == "/u/probe" || a == "/v/probe") continue;
    seen.push_back(a);
    if (a == "/v/end") break;
  }
  EXPECT_EQ(seen, std::vector<std::string>{"/v/end"});
}

}  // namespace
}  // namespace clasp::test
