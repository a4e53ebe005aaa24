// Value types: wire type codes, every width a decoder accepts, nesting and rendering.
#include <gtest/gtest.h>

#include <limits>

#include "messages/codec.hpp"
#include "tests/messages/sample_messages.hpp"

namespace clasp {
namespace {

using namespace codec;

// A SET payload for "/v" whose value has type code `type` and data `data`.
std::string set_payload(std::uint8_t type, const std::string& data) {
  std::string p;
  p += '\x21';
  p += static_cast<char>(type);
  p += std::string("\x00\x02/v", 4);
  p += data;
  return p;
}

value decode_set_value(const std::string& payload) {
  message m;
  decode_error err;
  EXPECT_TRUE(decode_message(payload, m, err)) << err.reason;
  return m.is<msg::set>() ? m.as<msg::set>().val : value();
}

TEST(Value, WireTypes) {
  EXPECT_EQ(value().wire_type(), value_type::null);
  EXPECT_EQ(value(true).wire_type(), value_type::boolean);
  EXPECT_EQ(value(3).wire_type(), value_type::i64);
  EXPECT_EQ(value(3.0).wire_type(), value_type::f64);
  EXPECT_EQ(value("s").wire_type(), value_type::string);
  EXPECT_EQ(value(byte_string{"b"}).wire_type(), value_type::bytes);
  EXPECT_EQ(value(value_array{}).wire_type(), value_type::array);
  EXPECT_EQ(value(value_map{}).wire_type(), value_type::map);
}

TEST(Value, EveryTypeRoundTripsInsideSet) {
  const std::vector<value> values = {
      value(),
      value(true),
      value(false),
      value(std::int64_t{0}),
      value(std::numeric_limits<std::int64_t>::min()),
      value(std::numeric_limits<std::int64_t>::max()),
      value(-0.0),
      value(std::numeric_limits<double>::infinity()),
      value(1e-300),
      value(""),
      value(std::string(1000, 'x')),
      value(byte_string{std::string("\0\0\xff", 3)}),
      value(value_array{}),
      value(value_map{}),
      testing::nested_value(),
      value(value_array{value_array{value_array{value_map{{"", value()}}}}})};
  for (const auto& v : values) {
    SCOPED_TRACE(to_string(v));
    message m = msg::set{"/v", v, std::nullopt, false, false, std::nullopt};
    std::string bytes;
    encode_message(m, bytes);
    message back;
    decode_error err;
    ASSERT_TRUE(decode_message(bytes, back, err)) << err.reason;
    EXPECT_EQ(back, m);
  }
}

TEST(Value, EncodersWriteI64AndF64) {
  std::string bytes;
  encode_message(msg::set{"/v", value(1), std::nullopt, false, false, std::nullopt}, bytes);
  EXPECT_EQ(bytes, set_payload(0x05, std::string("\0\0\0\0\0\0\0\x01", 8)));
  bytes.clear();
  encode_message(msg::set{"/v", value(2.0), std::nullopt, false, false, std::nullopt}, bytes);
  EXPECT_EQ(bytes, set_payload(0x07, std::string("\x40\0\0\0\0\0\0\0", 8)));
}

TEST(Value, DecodersAcceptEveryWidth) {
  EXPECT_EQ(decode_set_value(set_payload(0x02, "\xff")), value(-1));
  EXPECT_EQ(decode_set_value(set_payload(0x02, "\x7f")), value(127));
  EXPECT_EQ(decode_set_value(set_payload(0x03, std::string("\x80\x00", 2))), value(-32768));
  EXPECT_EQ(decode_set_value(set_payload(0x03, "\x01\x02")), value(258));
  EXPECT_EQ(decode_set_value(set_payload(0x04, "\xff\xff\xff\xfe")), value(-2));
  EXPECT_EQ(decode_set_value(set_payload(0x04, "\x7f\xff\xff\xff")), value(2147483647));
  EXPECT_EQ(decode_set_value(set_payload(0x05, "\xff\xff\xff\xff\xff\xff\xff\xff")), value(-1));
  EXPECT_EQ(decode_set_value(set_payload(0x06, std::string("\x3f\xc0\x00\x00", 4))), value(1.5));
  EXPECT_EQ(decode_set_value(set_payload(0x07, std::string("\x3f\xf8\0\0\0\0\0\0", 8))),
            value(1.5));
  EXPECT_EQ(decode_set_value(set_payload(0x01, "\x02")), value(true));  // any non-zero byte
  EXPECT_EQ(decode_set_value(set_payload(0x01, std::string("\0", 1))), value(false));
  EXPECT_EQ(decode_set_value(set_payload(0x00, "")), value());
}

TEST(Value, NarrowWidthsInsideArraysAndMaps) {
  // array [i8 -2, f32 0.5], map {"k": i16 300}
  std::string array_data("\x00\x02\x02\xfe\x06\x3f\x00\x00\x00", 9);
  EXPECT_EQ(decode_set_value(set_payload(0x0A, array_data)), value(value_array{-2, 0.5}));
  std::string map_data("\x00\x01\x00\x01k\x03\x01\x2c", 8);
  EXPECT_EQ(decode_set_value(set_payload(0x0B, map_data)), value(value_map{{"k", 300}}));
}

TEST(Value, MapKeepsWireOrderAndDuplicates) {
  value v = value_map{{"z", 1}, {"a", 2}, {"z", 3}};
  message m = msg::set{"/v", v, std::nullopt, false, false, std::nullopt};
  std::string bytes;
  encode_message(m, bytes);
  message back;
  decode_error err;
  ASSERT_TRUE(decode_message(bytes, back, err));
  EXPECT_EQ(back.as<msg::set>().val, v);
}

TEST(Value, ToString) {
  EXPECT_EQ(to_string(value()), "null");
  EXPECT_EQ(to_string(value(true)), "true");
  EXPECT_EQ(to_string(value(-5)), "-5");
  EXPECT_EQ(to_string(value(1.5)), "1.5");
  EXPECT_EQ(to_string(value("a\"b\n")), "\"a\\\"b\\n\"");
  EXPECT_EQ(to_string(value(byte_string{"\x01\xab"})), "b\"01ab\"");
  EXPECT_EQ(to_string(value(value_array{1, "x"})), "[1,\"x\"]");
  EXPECT_EQ(to_string(value(value_map{{"k", value_array{}}, {"n", nullptr}})),
            "{\"k\":[],\"n\":null}");
}

}  // namespace
}  // namespace clasp
