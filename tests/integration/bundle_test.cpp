// BUNDLE at the wire: inner SETs applied in order, and all or nothing.
#include <chrono>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using bundle_test = router_test;
using clock_type = std::chrono::steady_clock;

msg::bundle bundle_of(std::vector<msg::set> sets) {
  msg::bundle b;
  for (auto& s : sets) b.messages.emplace_back(std::move(s));
  return b;
}

// SETs `c` receives (bundles flattened, `ignore` left out) until `sentinel`.
std::vector<msg::set> sets_until(wire_client& c, const std::string& sentinel,
                                 const std::string& ignore) {
  std::vector<msg::set> out;
  const auto deadline = clock_type::now() + default_timeout;
  while (clock_type::now() < deadline) {
    auto m = c.recv(millis(500));
    if (!m) continue;
    std::vector<message> flat;
    if (m->is<msg::bundle>()) {
      flat = m->as<msg::bundle>().messages;
    } else {
      flat.push_back(*m);
    }
    for (auto& inner : flat) {
      if (!inner.is<msg::set>()) continue;
      auto s = inner.as<msg::set>();
      if (s.address == ignore) continue;
      out.push_back(s);
      if (s.address == sentinel) return out;
    }
  }
  ADD_FAILURE() << "sentinel " << sentinel << " never arrived";
  return out;
}

TEST_F(bundle_test, sets_are_applied_in_order) {
  auto sub = client("sub");
  auto writer = client("writer");
  ASSERT_TRUE(sub->send(make_subscribe(1, "/b/**")));
  ASSERT_TRUE(await_live(*sub, *writer, make_set("/b/probe", 0), "/b/probe"));

  ASSERT_TRUE(
      writer->send(bundle_of({make_set("/b/x", 1), make_set("/b/y", 2), make_set("/b/x", 3)})));
  auto got = sets_until(*sub, "/b/y", "/b/probe");
  auto rest = sets_until(*sub, "/b/x", "/b/probe");
  got.insert(got.end(), rest.begin(), rest.end());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].address, "/b/x");
  EXPECT_EQ(got[0].val, value(1));
  EXPECT_EQ(got[1].address, "/b/y");
  EXPECT_EQ(got[2].address, "/b/x");
  EXPECT_EQ(got[2].val, value(3));
  ASSERT_TRUE(got[0].revision && got[2].revision);
  EXPECT_GT(*got[2].revision, *got[0].revision);

  auto p = get_param(*writer, "/b/x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->val, value(3));
}

TEST_F(bundle_test, invalid_address_applies_none) {
  auto sub = client("sub");
  auto writer = client("writer");
  ASSERT_TRUE(sub->send(make_subscribe(1, "/ba/**")));
  ASSERT_TRUE(await_live(*sub, *writer, make_set("/ba/probe", 0), "/ba/probe"));

  ASSERT_TRUE(writer->send(
      bundle_of({make_set("/ba/x", 1), make_set("no-slash", 2), make_set("/ba/y", 3)})));
  auto err = writer->expect<msg::error>(default_timeout, skip::others);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, error_code::invalid_address);

  for (const char* a : {"/ba/x", "/ba/y"}) {
    std::uint16_t code = 0;
    EXPECT_FALSE(get_param(*writer, a, &code).has_value()) << a << " applied from a bad bundle";
    EXPECT_EQ(code, error_code::address_not_found);
  }
  set_ok(*writer, "/ba/end", 1);
  auto seen = sets_until(*sub, "/ba/end", "/ba/probe");
  EXPECT_EQ(seen.size(), 1u) << "subscribers must see nothing of a refused bundle";
}

TEST_F(bundle_test, wrong_revision_applies_none) {
  auto c = client();
  revision_t r = set_ok(*c, "/bc/z", 1);
  auto conditional = make_set("/bc/z", 2);
  conditional.revision = r + 100;
  ASSERT_TRUE(c->send(bundle_of({make_set("/bc/y", 1), conditional})));
  auto err = c->expect<msg::error>(default_timeout, skip::others);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, error_code::bad_request);

  std::uint16_t code = 0;
  EXPECT_FALSE(get_param(*c, "/bc/y", &code).has_value()) << "/bc/y applied from a failed bundle";
  EXPECT_EQ(code, error_code::address_not_found);
  auto z = get_param(*c, "/bc/z");
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->val, value(1));
  EXPECT_EQ(z->revision, r);
}

}  // namespace
}  // namespace clasp::test
