// GET (SNAPSHOT or 201) and PUBLISH of every signal type: delivered by type
// mask, never stored.
#include <chrono>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using get_test = router_test;
using publish_test = router_test;
using clock_type = std::chrono::steady_clock;

TEST_F(get_test, returns_snapshot_of_the_param) {
  auto c = client();
  value_map m{{"r", 1}, {"g", 0.5}, {"name", "lamp"}};
  revision_t r = set_ok(*c, "/get/x", m);
  auto other = client("other");
  auto p = get_param(*other, "/get/x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(m));
  EXPECT_EQ(p->revision, r);
}

TEST_F(get_test, unknown_address_is_201) {
  auto c = client();
  std::uint16_t code = 0;
  EXPECT_FALSE(get_param(*c, "/get/nothing/here", &code).has_value());
  EXPECT_EQ(code, error_code::address_not_found);
}

struct typed_publish {
  signal_type type;
  std::uint8_t mask;
  std::string address;
};

TEST_F(publish_test, every_signal_type_is_delivered_by_mask_and_never_stored) {
  const std::vector<typed_publish> kinds{
      {signal_type::event, type_mask::event, "/pub/event"},
      {signal_type::stream, type_mask::stream, "/pub/stream"},
      {signal_type::gesture, type_mask::gesture, "/pub/gesture"},
      {signal_type::timeline, type_mask::timeline, "/pub/timeline"},
  };
  auto writer = client("writer");
  std::vector<std::unique_ptr<wire_client>> subs;
  for (const auto& k : kinds) {
    subs.push_back(client("sub"));
    ASSERT_TRUE(subs.back()->send(make_subscribe(1, "/pub/**", k.mask)));
    ASSERT_TRUE(
        await_live(*subs.back(), *writer, make_publish(k.type, "/pub/probe", 0), "/pub/probe"));
  }

  auto build = [](const typed_publish& k, const std::string& address) {
    msg::publish p = make_publish(k.type, address, "payload");
    if (k.type == signal_type::stream) {
      p.val.reset();
      p.samples = std::vector<double>{0.25, -1.5, 3.0};
    }
    if (k.type == signal_type::gesture) {
      p.gesture_id = 7;
      p.phase = gesture_phase::move;
    }
    return p;
  };
  for (const auto& k : kinds) ASSERT_TRUE(writer->send(build(k, k.address)));
  for (const auto& k : kinds) ASSERT_TRUE(writer->send(build(k, "/pub/end")));

  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const auto& k = kinds[i];
    std::vector<msg::publish> got;
    const auto deadline = clock_type::now() + default_timeout;
    while (clock_type::now() < deadline) {
      auto m = subs[i]->recv(millis(500));
      if (!m) continue;
      ASSERT_FALSE(m->is<msg::set>() || m->is<msg::error>()) << describe(*m);
      if (!m->is<msg::publish>()) continue;
      auto p = m->as<msg::publish>();
      if (p.address == "/pub/probe") continue;
      got.push_back(p);
      if (p.address == "/pub/end") break;
    }
    ASSERT_EQ(got.size(), 2u) << "subscriber for signal type " << static_cast<int>(k.type);
    EXPECT_EQ(got[0].address, k.address);
    EXPECT_EQ(got[0].signal, k.type);
    EXPECT_EQ(got[1].address, "/pub/end");
    auto expected = build(k, k.address);
    EXPECT_EQ(got[0].val, expected.val);
    EXPECT_EQ(got[0].samples, expected.samples);
    if (k.type == signal_type::gesture) {
      EXPECT_EQ(got[0].gesture_id, std::optional<std::uint32_t>(7));
      EXPECT_EQ(got[0].phase, gesture_phase::move);
    }
  }

  for (const auto& k : kinds) {
    std::uint16_t code = 0;
    EXPECT_FALSE(get_param(*writer, k.address, &code).has_value()) << k.address << " was stored";
    EXPECT_EQ(code, error_code::address_not_found);
  }
}

}  // namespace
}  // namespace clasp::test
