// Every message type, with its optional fields on and off, survives
// encode -> decode, at payload and at frame level; encoded_size is exact.
#include <gtest/gtest.h>

#include "messages/codec.hpp"
#include "tests/messages/sample_messages.hpp"

namespace clasp {
namespace {

using namespace codec;

TEST(CodecRoundTrip, EveryMessagePayload) {
  for (const auto& [name, m] : testing::sample_messages()) {
    SCOPED_TRACE(name);
    std::string bytes;
    encode_message(m, bytes);
    EXPECT_EQ(bytes.size(), encoded_size(m));
    EXPECT_EQ(static_cast<std::uint8_t>(bytes[0]), static_cast<std::uint8_t>(m.type()));
    message back;
    decode_error err;
    ASSERT_TRUE(decode_message(bytes, back, err)) << err.reason;
    EXPECT_EQ(back, m);
  }
}

TEST(CodecRoundTrip, EveryMessageFrameWithEveryQosAndTimestamp) {
  for (const auto& [name, m] : testing::sample_messages()) {
    for (auto q : {qos::fire, qos::confirm, qos::commit}) {
      for (bool with_ts : {false, true}) {
        SCOPED_TRACE(name + " qos " + std::to_string(static_cast<int>(q)) + (with_ts ? " ts" : ""));
        encode_options opts{
            q, with_ts ? std::optional<std::uint64_t>(0x0102030405060708ull) : std::nullopt};
        auto frame = encode_frame(m, opts);
        ASSERT_TRUE(frame.has_value());
        EXPECT_EQ(frame->size(), (with_ts ? 12u : 4u) + encoded_size(m));
        decoded_frame out;
        decode_error err;
        ASSERT_TRUE(decode_frame(*frame, out, err)) << err.reason;
        EXPECT_EQ(out.msg, m);
        EXPECT_EQ(out.header.quality, q);
        EXPECT_EQ(out.header.version, 1);
        EXPECT_FALSE(out.header.encrypted);
        EXPECT_FALSE(out.header.compressed);
        EXPECT_EQ(out.header.timestamp, opts.timestamp);
      }
    }
  }
}

TEST(CodecRoundTrip, EncodeAppendsToExistingBytes) {
  std::string out = "prefix";
  message m = msg::get{"/a"};
  encode_message(m, out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  message back;
  decode_error err;
  ASSERT_TRUE(decode_message(std::string_view(out).substr(6), back, err));
  EXPECT_EQ(back, m);
}

// Decoders reuse the output object for speed; stale optional fields must not survive.
TEST(CodecRoundTrip, DecodingIntoAReusedMessageResetsEveryField) {
  const auto samples = testing::sample_messages();
  message reused;
  for (const auto& first : samples) {
    for (const auto& second : samples) {
      std::string a, b;
      encode_message(first.second, a);
      encode_message(second.second, b);
      decode_error err;
      ASSERT_TRUE(decode_message(a, reused, err));
      ASSERT_TRUE(decode_message(b, reused, err));
      ASSERT_EQ(reused, second.second) << first.first << " then " << second.first;
    }
  }
}

TEST(CodecRoundTrip, ResultDropsMetaAnnounceKeepsIt) {
  signal_definition sig{"/a", signal_type::param, std::nullopt, std::nullopt,
                        signal_meta{"dB", std::nullopt, std::nullopt, std::nullopt}};
  message result = msg::result{{sig}};
  std::string bytes;
  encode_message(result, bytes);
  message back;
  decode_error err;
  ASSERT_TRUE(decode_message(bytes, back, err));
  EXPECT_FALSE(back.as<msg::result>().signals.at(0).meta.has_value());

  message announce = msg::announce{"/", {sig}};
  bytes.clear();
  encode_message(announce, bytes);
  ASSERT_TRUE(decode_message(bytes, back, err));
  EXPECT_EQ(back, announce);
}

TEST(CodecRoundTrip, PublishValueWinsOverSamples) {
  msg::publish p;
  p.address = "/p";
  p.val = value(1.0);
  p.samples = std::vector<double>{2.0};
  std::string bytes;
  encode_message(p, bytes);
  message back;
  decode_error err;
  ASSERT_TRUE(decode_message(bytes, back, err));
  EXPECT_EQ(back.as<msg::publish>().val, value(1.0));
  EXPECT_FALSE(back.as<msg::publish>().samples.has_value());
}

TEST(CodecRoundTrip, WelcomeAndHelloKeepTheFederationBit) {
  message h = msg::hello{1, feature::param | feature::federation, "peer", ""};
  std::string bytes;
  encode_message(h, bytes);
  EXPECT_EQ(static_cast<std::uint8_t>(bytes[2]), 0x84);
  message back;
  decode_error err;
  ASSERT_TRUE(decode_message(bytes, back, err));
  EXPECT_EQ(back.as<msg::hello>().features & feature::federation, feature::federation);
}

TEST(CodecDefaults, QosFollowsTheReferenceClient) {
  msg::publish stream;
  stream.signal = signal_type::stream;
  msg::publish gesture;
  gesture.signal = signal_type::gesture;
  msg::publish event;
  event.signal = signal_type::event;
  EXPECT_EQ(default_qos(msg::set{}), qos::confirm);
  EXPECT_EQ(default_qos(msg::subscribe{}), qos::confirm);
  EXPECT_EQ(default_qos(msg::unsubscribe{}), qos::confirm);
  EXPECT_EQ(default_qos(msg::bundle{}), qos::commit);
  EXPECT_EQ(default_qos(stream), qos::fire);
  EXPECT_EQ(default_qos(gesture), qos::fire);
  EXPECT_EQ(default_qos(event), qos::confirm);
  EXPECT_EQ(default_qos(msg::ping{}), qos::fire);
  EXPECT_EQ(default_qos(msg::hello{}), qos::fire);
}

TEST(MessageNames, TypeAndWireName) {
  for (const auto& [name, m] : testing::sample_messages()) {
    SCOPED_TRACE(name);
    EXPECT_STRNE(to_string(m.type()), "UNKNOWN");
  }
  EXPECT_STREQ(to_string(message(msg::federation_sync{}).type()), "FEDERATION_SYNC");
  EXPECT_EQ(message(msg::set{}).type(), message_type::set);
  EXPECT_EQ(message(msg::result{}).type(), message_type::result);
  EXPECT_STREQ(to_string(static_cast<message_type>(0x99)), "UNKNOWN");
}

}  // namespace
}  // namespace clasp
