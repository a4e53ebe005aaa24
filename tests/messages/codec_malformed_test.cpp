// Untrusted input: every truncation of every message, bad frames, unknown
// codes, nesting bombs and lying counts all fail cleanly with the right code.
#include <gtest/gtest.h>

#include "messages/codec.hpp"
#include "tests/messages/sample_messages.hpp"

namespace clasp {
namespace {

using namespace codec;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

decode_error frame_error(const std::string& frame) {
  decoded_frame out;
  decode_error err;
  EXPECT_FALSE(decode_frame(frame, out, err));
  return err;
}

decode_error message_error(const std::string& payload) {
  message out;
  decode_error err;
  EXPECT_FALSE(decode_message(payload, out, err));
  return err;
}

TEST(CodecMalformed, EveryTruncationOfEveryMessageFailsCleanly) {
  for (const auto& [name, m] : testing::sample_messages()) {
    std::string full;
    encode_message(m, full);
    for (std::size_t len = 0; len < full.size(); ++len) {
      SCOPED_TRACE(name + " cut at " + std::to_string(len));
      // A fresh copy so ASan sees reads past the cut.
      const std::string cut = full.substr(0, len);
      message out;
      decode_error err;
      if (decode_message(cut, out, err)) {
        // Only a PUBLISH can lose its trailing rate and still be complete.
        ASSERT_TRUE(m.is<msg::publish>());
        EXPECT_FALSE(out.as<msg::publish>().rate.has_value());
        EXPECT_NE(out, m);
      } else {
        EXPECT_EQ(err.code, error_code::invalid_message);
        EXPECT_FALSE(err.reason.empty());
      }
    }
  }
}

TEST(CodecMalformed, EveryTruncationOfEveryFrameIsAFrameError) {
  for (const auto& [name, m] : testing::sample_messages()) {
    auto full = encode_frame(m, {qos::confirm, 77ull});
    ASSERT_TRUE(full);
    for (std::size_t len = 0; len < full->size(); ++len) {
      SCOPED_TRACE(name + " cut at " + std::to_string(len));
      EXPECT_EQ(frame_error(full->substr(0, len)).code, error_code::invalid_frame);
    }
  }
}

TEST(CodecMalformed, TruncationReasonNamesTypeAndField) {
  // SET "/abc" cut inside the address.
  auto err = message_error(bytes({0x21, 0x07, 0x00, 0x04, '/', 'a'}));
  EXPECT_EQ(err.code, error_code::invalid_message);
  EXPECT_NE(err.reason.find("SET"), std::string::npos) << err.reason;
  EXPECT_NE(err.reason.find("address"), std::string::npos) << err.reason;
  err = message_error(bytes({0x10, 0, 0, 0, 1, 0, 1, '/', 0xFF}));
  EXPECT_NE(err.reason.find("SUBSCRIBE"), std::string::npos) << err.reason;
  EXPECT_NE(err.reason.find("option flags"), std::string::npos) << err.reason;
}

TEST(CodecMalformed, BadFrames) {
  auto good = *encode_frame(msg::ping{});
  EXPECT_EQ(frame_error("").code, error_code::invalid_frame);
  EXPECT_EQ(frame_error(bytes({0x54, 0x01, 0x00, 0x01, 0x41})).code, error_code::invalid_frame);
  // Declared length longer and shorter than the bytes present.
  EXPECT_EQ(frame_error(bytes({0x53, 0x01, 0x00, 0x02, 0x41})).code, error_code::invalid_frame);
  EXPECT_EQ(frame_error(bytes({0x53, 0x01, 0x00, 0x01, 0x41, 0x00})).code,
            error_code::invalid_frame);
  EXPECT_EQ(frame_error(bytes({0x53, 0x01, 0x00, 0x00})).code, error_code::invalid_message);
  // Timestamp flag with no room for it.
  EXPECT_EQ(frame_error(bytes({0x53, 0x21, 0x00, 0x01, 0x41})).code, error_code::invalid_frame);
  // QoS 3 does not exist.
  EXPECT_EQ(frame_error(bytes({0x53, 0xC1, 0x00, 0x01, 0x41})).code, error_code::invalid_frame);
  decoded_frame out;
  decode_error err;
  EXPECT_TRUE(decode_frame(good, out, err));
}

TEST(CodecMalformed, UnsupportedEncodings) {
  auto legacy = frame_error(bytes({0x53, 0x00, 0x00, 0x01, 0x41}));
  EXPECT_EQ(legacy.code, error_code::unsupported_version);
  EXPECT_EQ(legacy.reason, "unsupported encoding: legacy MessagePack");
  for (int marker : {0x80, 0x81, 0x8F, 0xDE, 0xDF}) {
    auto err = frame_error(bytes({0x53, 0x01, 0x00, 0x01, marker}));
    EXPECT_EQ(err.code, error_code::unsupported_version);
    EXPECT_EQ(err.reason, "unsupported encoding: legacy MessagePack");
  }
  EXPECT_EQ(frame_error(bytes({0x53, 0x02, 0x00, 0x01, 0x41})).code,
            error_code::unsupported_version);
  EXPECT_EQ(frame_error(bytes({0x53, 0x11, 0x00, 0x01, 0x41})).code,
            error_code::unsupported_version);
  EXPECT_EQ(frame_error(bytes({0x53, 0x09, 0x00, 0x01, 0x41})).code,
            error_code::unsupported_version);
}

TEST(CodecMalformed, DecodeHeaderViewsThePayload) {
  frame_header h;
  std::string_view payload;
  decode_error err;
  auto frame = bytes({0x53, 0x41, 0x00, 0x02, 0xAA, 0xBB});
  ASSERT_TRUE(decode_header(frame, h, payload, err));
  EXPECT_EQ(h.quality, qos::confirm);
  EXPECT_EQ(payload, bytes({0xAA, 0xBB}));
}

TEST(CodecMalformed, UnknownCodes) {
  EXPECT_EQ(message_error("").code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x99})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x00})).code, error_code::invalid_message);
  // SET with value type 0x0C.
  auto err = message_error(bytes({0x21, 0x0C, 0x00, 0x01, '/'}));
  EXPECT_EQ(err.code, error_code::invalid_message);
  EXPECT_NE(err.reason.find("value type"), std::string::npos) << err.reason;
  // Array holding an item of type 0xEE.
  EXPECT_EQ(message_error(bytes({0x21, 0x0A, 0x00, 0x01, '/', 0x00, 0x01, 0xEE})).code,
            error_code::invalid_message);
  // PUBLISH with signal type 7, phase 5, value indicator 3.
  EXPECT_EQ(message_error(bytes({0x20, 0xE0, 0, 1, '/', 0})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x20, 0x05, 0, 1, '/', 0})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x20, 0x20, 0, 1, '/', 3})).code, error_code::invalid_message);
  // FEDERATION_SYNC op 9; RESULT signal type 8.
  EXPECT_EQ(message_error(bytes({0x04, 0x09, 0, 0, 0, 0, 0})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x61, 0, 1, 0, 1, '/', 8, 0})).code, error_code::invalid_message);
}

TEST(CodecMalformed, TrailingBytesAfterAMessageAreIgnored) {
  message out;
  decode_error err;
  EXPECT_TRUE(decode_message(bytes({0x41, 0x00, 0x01}), out, err));
  EXPECT_TRUE(out.is<msg::ping>());
  EXPECT_TRUE(decode_message(bytes({0x22, 0, 1, '/', 0xFF}), out, err));
  EXPECT_EQ(out, message(msg::get{"/"}));
}

TEST(CodecMalformed, NestingIsBounded) {
  // max_nesting_depth arrays inside each other decode; one more does not.
  value v = value_array{};
  for (std::size_t i = 1; i < max_nesting_depth; ++i) v = value_array{v};
  std::string ok;
  encode_message(msg::set{"/", v, std::nullopt, false, false, std::nullopt}, ok);
  message out;
  decode_error err;
  EXPECT_TRUE(decode_message(ok, out, err)) << err.reason;

  std::string too_deep;
  encode_message(msg::set{"/", value_array{v}, std::nullopt, false, false, std::nullopt}, too_deep);
  err = message_error(too_deep);
  EXPECT_EQ(err.code, error_code::invalid_message);
  EXPECT_NE(err.reason.find("nesting"), std::string::npos) << err.reason;

  // A bomb: 20,000 levels of "array of one array" must not blow the stack.
  std::string bomb = bytes({0x21, 0x0A, 0x00, 0x01, '/'});
  for (int i = 0; i < 20000; ++i) bomb += bytes({0x00, 0x01, 0x0A});
  EXPECT_EQ(message_error(bomb).code, error_code::invalid_message);

  // Bundles inside bundles count too.
  message b = msg::ping{};
  for (std::size_t i = 0; i <= max_nesting_depth; ++i) b = msg::bundle{std::nullopt, {b}};
  std::string bundles;
  encode_message(b, bundles);
  EXPECT_EQ(message_error(bundles).code, error_code::invalid_message);
}

TEST(CodecMalformed, CountsCannotExceedTheBytesLeft) {
  // Each claims 65535 elements with almost nothing behind it.
  EXPECT_EQ(message_error(bytes({0x21, 0x0A, 0x00, 0x01, '/', 0xFF, 0xFF, 0x00})).code,
            error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x21, 0x0B, 0x00, 0x01, '/', 0xFF, 0xFF, 0, 0, 0})).code,
            error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x23, 0xFF, 0xFF, 0, 0})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x30, 0x00, 0xFF, 0xFF, 0, 1, 0x41})).code,
            error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x03, 0, 0, 0xFF, 0xFF, 0})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x61, 0xFF, 0xFF})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x04, 0x01, 0xFF, 0xFF})).code, error_code::invalid_message);
  EXPECT_EQ(message_error(bytes({0x04, 0x01, 0, 0, 0xFF, 0xFF, 0})).code,
            error_code::invalid_message);
  EXPECT_EQ(
      message_error(bytes({0x20, 0x40, 0, 1, '/', 2, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0})).code,
      error_code::invalid_message);
  auto err = message_error(bytes({0x21, 0x0A, 0x00, 0x01, '/', 0xFF, 0xFF, 0x00}));
  EXPECT_NE(err.reason.find("count"), std::string::npos) << err.reason;
}

TEST(CodecMalformed, BundleErrorNamesTheInnerMessage) {
  auto err = message_error(bytes({0x30, 0x00, 0, 2, 0, 1, 0x41, 0, 2, 0x22, 0}));
  EXPECT_NE(err.reason.find("BUNDLE: message 1: GET"), std::string::npos) << err.reason;
}

TEST(CodecEncodeLimit, OversizedPayloadIsRefused) {
  message big =
      msg::set{"/big", value(std::string(70000, 'x')), std::nullopt, false, false, std::nullopt};
  std::string out = "keep";
  std::string why;
  EXPECT_FALSE(encode_frame(big, {}, out, &why));
  EXPECT_EQ(out, "keep");
  EXPECT_NE(why.find("65535"), std::string::npos) << why;
  EXPECT_FALSE(encode_frame(big).has_value());

  // Exactly at the limit is fine: SET "/" + string value, 1+1+3 + 2+n = 65535.
  message edge =
      msg::set{"/", value(std::string(65535 - 7, 'y')), std::nullopt, false, false, std::nullopt};
  EXPECT_EQ(encoded_size(edge), max_payload);
  auto frame = encode_frame(edge);
  ASSERT_TRUE(frame);
  decoded_frame back;
  decode_error err;
  ASSERT_TRUE(decode_frame(*frame, back, err)) << err.reason;
  EXPECT_EQ(back.msg, edge);
  message over =
      msg::set{"/", value(std::string(65535 - 6, 'y')), std::nullopt, false, false, std::nullopt};
  EXPECT_FALSE(encode_frame(over).has_value());
}

}  // namespace
}  // namespace clasp
