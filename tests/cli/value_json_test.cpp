// How the client commands read VALUE and --bytes, and print values.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/value_json.hpp"

namespace clasp::app {
namespace {

TEST(ValueJson, TextIsJsonElseAString) {
  EXPECT_EQ(value_from_text("1"), value(std::int64_t{1}));
  EXPECT_EQ(value_from_text("2.5"), value(2.5));
  EXPECT_EQ(value_from_text("true"), value(true));
  EXPECT_EQ(value_from_text("null"), value{});
  EXPECT_EQ(value_from_text("\"quoted\""), value("quoted"));
  EXPECT_EQ(value_from_text("bare word"), value("bare word"));
  EXPECT_EQ(value_from_text("{\"a\": [1, \"b\"]}"),
            value(value_map{{"a", value(value_array{value(std::int64_t{1}), value("b")})}}));
  EXPECT_EQ(value_from_text("[1,"), value("[1,"));  // broken JSON stays the text typed
  EXPECT_EQ(value_from_text(""), value(""));
}

TEST(ValueJson, HexBytes) {
  auto b = bytes_from_hex("0x00ff7F");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->data, std::string("\x00\xff\x7f", 3));
  EXPECT_TRUE(bytes_from_hex("") && bytes_from_hex("")->data.empty());
  EXPECT_FALSE(bytes_from_hex("abc"));  // odd count
  EXPECT_FALSE(bytes_from_hex("zz"));
}

TEST(ValueJson, PrintsJsonWithBytesAsHexObject) {
  EXPECT_EQ(value_to_json(value(byte_string{std::string("\x01\xab", 2)})).dump(),
            R"({"bytes":"01ab"})");
  EXPECT_EQ(value_to_json(value(value_array{value(true), value{}})).dump(), "[true,null]");
  EXPECT_EQ(value_to_json(value(-3)).dump(), "-3");
}

}  // namespace
}  // namespace clasp::app
