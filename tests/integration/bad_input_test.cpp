// Hostile and malformed input: each case gets the right ERROR code or a clean
// close, and never disturbs another session or the router process.
#include <functional>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

struct bad_case {
  std::string name;
  std::function<std::string()> bytes;  // one WebSocket message
  std::set<std::uint16_t> codes;       // acceptable ERROR codes (a close is always accepted)
};

void PrintTo(const bad_case& c, std::ostream* os) { *os << c.name; }

std::string nested_arrays(int depth) {
  value v = 1;
  for (int i = 0; i < depth; ++i) v = value(value_array{v});
  std::string payload = payload_of(make_set("/deep/x", v));
  return raw_frame(payload);
}

std::string truncated_set() {
  std::string p = payload_of(make_set("/trunc/address", "a string value"));
  return raw_frame(p.substr(0, 9));  // cut inside the address
}

std::string huge_string_length() {
  // SET whose address claims 60,000 bytes but carries 3.
  std::string p;
  p += static_cast<char>(0x21);
  p += static_cast<char>(0x05);
  p += static_cast<char>(0xEA);
  p += static_cast<char>(0x60);
  p += "/ab";
  return raw_frame(p);
}

std::string header_claims_more() {
  std::string p = payload_of(make_set("/short/x", 1));
  std::string f = raw_frame(p);
  f[2] = static_cast<char>(0x01);  // length now ~256 + n, more than we send
  return f;
}

std::vector<bad_case> bad_cases() {
  using namespace error_code;
  return {
      {"garbage", [] { return std::string("\x00\x01\x02garbage\xff", 11); }, {invalid_frame}},
      {"bad_magic",
       [] {
         auto f = raw_frame(payload_of(msg::ping{}));
         f[0] = 0x54;
         return f;
       },
       {invalid_frame}},
      {"empty_message", [] { return std::string(); }, {invalid_frame}},
      {"header_only_3_bytes", [] { return std::string("\x53\x01\x00", 3); }, {invalid_frame}},
      {"truncated_frame", header_claims_more, {invalid_frame}},
      {"truncated_set_payload", truncated_set, {invalid_message}},
      {"string_length_past_end", huge_string_length, {invalid_message}},
      {"unknown_message_type",
       [] { return raw_frame(std::string("\x7e\x00\x01", 3)); },
       {invalid_message}},
      {"unsupported_encoding_version",
       [] { return raw_frame(payload_of(msg::ping{}), 0x05); },
       {unsupported_version, invalid_frame}},
      {"address_without_slash",
       [] { return raw_frame(payload_of(make_set("no-slash", 1))); },
       {invalid_address}},
      {"address_with_empty_segment",
       [] { return raw_frame(payload_of(make_set("/a//b", 1))); },
       {invalid_address}},
      {"get_invalid_address",
       [] {
         msg::get g;
         g.address = "no-slash";
         return raw_frame(payload_of(g));
       },
       {invalid_address}},
      {"nesting_200_deep", [] { return nested_arrays(200); }, {invalid_message, invalid_value}},
      {"one_megabyte_message", [] { return std::string(1 << 20, '\x53'); }, {invalid_frame}},
  };
}

class bad_input_test : public router_test, public ::testing::WithParamInterface<bad_case> {};

TEST_P(bad_input_test, gets_error_or_close_and_others_keep_working) {
  const auto& bc = GetParam();
  auto bystander = client("bystander");
  auto writer = client("writer");
  ASSERT_TRUE(bystander->send(make_subscribe(1, "/alive/**")));
  ASSERT_TRUE(await_live(*bystander, *writer, make_set("/alive/probe", 0), "/alive/probe"));
  auto attacker = client("attacker");

  // A router may cut the connection while a big message is still being written.
  if (!attacker->send_raw(bc.bytes())) {
    EXPECT_TRUE(attacker->is_closed())
        << "send failed but the connection is open: " << attacker->last_error();
  } else {
    auto code = expect_error_or_close(*attacker, bc.codes);
    if (code != 0 && attacker->send(msg::ping{})) {
      // After an ERROR the session either still works or is closed: never half-dead.
      auto m = attacker->recv(default_timeout);
      EXPECT_TRUE((m && m->is<msg::pong>()) || attacker->closed())
          << "after ERROR " << code << ": " << (m ? describe(*m) : "no reply");
    }
  }

  // Another session is unaffected and the router is alive.
  EXPECT_TRUE(router().running()) << "router died on input '" << bc.name << "'";
  revision_t r = set_ok(*writer, "/alive/x", 1);
  EXPECT_GT(r, 0u);
  auto echo =
      bystander->recv_until<msg::set>([](const msg::set& s) { return s.address == "/alive/x"; });
  EXPECT_TRUE(echo.has_value()) << "bystander's subscription stopped working";
  auto fresh = client("after");
  ASSERT_TRUE(fresh->send(msg::ping{}));
  EXPECT_TRUE(fresh->expect<msg::pong>().has_value());
}

INSTANTIATE_TEST_SUITE_P(malformed, bad_input_test, ::testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace clasp::test
