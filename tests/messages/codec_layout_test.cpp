// Exact bytes, written out by hand from PROTOCOL.md and the reference client's
// encoders, so a symmetric encoder/decoder bug cannot hide behind a round trip.
#include <gtest/gtest.h>

#include "messages/codec.hpp"

namespace clasp {
namespace {

using namespace codec;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

std::string payload_of(const message& m) {
  std::string out;
  encode_message(m, out);
  return out;
}

message decoded(const std::string& payload) {
  message m;
  decode_error err;
  EXPECT_TRUE(decode_message(payload, m, err)) << err.reason;
  return m;
}

TEST(CodecLayout, SetF64WithQosConfirm) {
  message m = msg::set{"/a", value(1.5), std::nullopt, false, false, std::nullopt};
  auto frame = encode_frame(m, {default_qos(m), std::nullopt});
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame, bytes({0x53, 0x41, 0x00, 0x0E,            // magic, confirm|v1, length 14
                           0x21, 0x07, 0x00, 0x02, '/', 'a',  // SET, flags: f64
                           0x3F, 0xF8, 0, 0, 0, 0, 0, 0}));   // 1.5
}

TEST(CodecLayout, FrameWithTimestampAndCommit) {
  auto frame = encode_frame(msg::ping{}, {qos::commit, 0x0102030405060708ull});
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame, bytes({0x53, 0xA1, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x41}));
}

TEST(CodecLayout, SetWithRevisionLockAndTtl) {
  message m = msg::set{"/b", value(std::int64_t{2}), revision_t{3}, true, false, ttl_spec{true, 5}};
  auto expected = bytes({0x21, 0x80 | 0x40 | 0x10 | 0x05,
                         0x00, 0x02,
                         '/',  'b',
                         0,    0,
                         0,    0,
                         0,    0,
                         0,    2,  // value
                         0,    0,
                         0,    0,
                         0,    0,
                         0,    3,  // revision
                         0x80, 0,
                         0,    5});  // ttl: absolute, 5
  EXPECT_EQ(payload_of(m), expected);
  EXPECT_EQ(decoded(expected), m);
}

TEST(CodecLayout, HelloTokenIsAlwaysPresent) {
  message m = msg::hello{1, 0x84, "n", ""};
  auto expected = bytes({0x01, 0x01, 0x84, 0x00, 0x01, 'n', 0x00, 0x00});
  EXPECT_EQ(payload_of(m), expected);
  EXPECT_EQ(decoded(expected), m);
}

TEST(CodecLayout, WelcomeWithToken) {
  message m = msg::welcome{1, 0xF8, 0x10, "s", "h", "t"};
  auto expected =
      bytes({0x02, 0x01, 0xF8, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 1, 's', 0, 1, 'h', 0, 1, 't'});
  EXPECT_EQ(payload_of(m), expected);
  EXPECT_EQ(decoded(expected), m);
}

TEST(CodecLayout, SubscribeOptionsByteAlwaysPresent) {
  message m = msg::subscribe{7, "/a/**", 0xFF, {}};
  auto expected = bytes({0x10, 0, 0, 0, 7, 0, 5, '/', 'a', '/', '*', '*', 0xFF, 0x00});
  EXPECT_EQ(payload_of(m), expected);
  EXPECT_EQ(decoded(expected), m);

  message with =
      msg::subscribe{1, "/", 0x01, subscribe_options{10u, std::nullopt, std::nullopt, 2u}};
  auto expected_with = bytes({0x10, 0, 0, 0, 1, 0, 1, '/', 0x01, 0x09, 0, 0, 0, 10, 0, 0, 0, 2});
  EXPECT_EQ(payload_of(with), expected_with);
}

TEST(CodecLayout, PublishRateIsPresentIffFourBytesRemain) {
  msg::publish p;
  p.signal = signal_type::event;
  p.address = "/e";
  p.val = value(std::int64_t{3});
  p.rate = 60u;
  auto expected =
      bytes({0x20, 0x20, 0, 2, '/', 'e', 0x01, 0x05, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 60});
  EXPECT_EQ(payload_of(p), expected);
  EXPECT_EQ(decoded(expected), message(p));
  // Fewer than 4 trailing bytes are ignored: no rate.
  auto short_tail = expected.substr(0, expected.size() - 2);
  EXPECT_FALSE(decoded(short_tail).as<msg::publish>().rate.has_value());
}

// Ours, between our routers: 16 bytes of event id after the gesture id and
// before the rate, told apart by what remains (16 or 20 bytes, not 0 or 4).
TEST(CodecLayout, PublishEventIdSitsBeforeTheRate) {
  msg::publish p;
  p.signal = signal_type::event;
  p.address = "/e";
  p.event = event_id{0x0102030405060708ull, 9};
  auto no_rate = bytes({0x20, 0x20, 0, 2, '/', 'e', 0x00,  // no value
                        1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 9});
  EXPECT_EQ(payload_of(p), no_rate);
  EXPECT_EQ(decoded(no_rate), message(p));
  p.rate = 60u;
  auto with_rate = no_rate + bytes({0, 0, 0, 60});
  EXPECT_EQ(payload_of(p), with_rate);
  EXPECT_EQ(decoded(with_rate), message(p));
  // What a client gets: the same PUBLISH without the id.
  std::string client_frame;
  ASSERT_TRUE(encode_publish_frame(p, std::nullopt, {}, client_frame));
  auto plain = p;
  plain.event.reset();
  EXPECT_EQ(client_frame, *encode_frame(plain));
  std::string numbered;
  ASSERT_TRUE(encode_publish_frame(plain, event_id{1, 2}, {}, numbered));
  decoded_frame f;
  decode_error err;
  ASSERT_TRUE(decode_frame(numbered, f, err)) << err.reason;
  EXPECT_EQ(f.msg.as<msg::publish>().event, (event_id{1, 2}));
  EXPECT_EQ(f.msg.as<msg::publish>().rate, 60u);
}

TEST(CodecLayout, PublishSamplesGestureAndTimestamp) {
  msg::publish p;
  p.signal = signal_type::gesture;
  p.phase = gesture_phase::end;
  p.address = "/g";
  p.samples = std::vector<double>{2.0};
  p.timestamp = 9ull;
  p.gesture_id = 4u;
  auto expected = bytes({0x20, (3 << 5) | 0x10 | 0x08 | 2,
                         0,    2,
                         '/',  'g',
                         0x02, 0,
                         1,    0x40,
                         0,    0,
                         0,    0,
                         0,    0,
                         0,  // 2.0
                         0,    0,
                         0,    0,
                         0,    0,
                         0,    9,  // timestamp
                         0,    0,
                         0,    4});  // gesture id
  EXPECT_EQ(payload_of(p), expected);
  EXPECT_EQ(decoded(expected), message(p));
}

TEST(CodecLayout, FederationSync) {
  message m = msg::federation_sync{
      federation_op::revision_vector, {"/p"}, {{"/a", 258}}, std::uint64_t{1}, std::string("r")};
  auto expected = bytes({0x04, 0x03, 0, 1, 0, 2,    '/', 'p', 0, 1, 0, 2, '/', 'a', 0, 0, 0,
                         0,    0,    0, 1, 2, 0xC0, 0,   0,   0, 0, 0, 0, 0,   1,   0, 1, 'r'});
  EXPECT_EQ(payload_of(m), expected);
  EXPECT_EQ(decoded(expected), m);
}

TEST(CodecLayout, AnnounceWithMeta) {
  signal_definition sig{"/f", signal_type::param, std::string("f"), std::nullopt,
                        signal_meta{std::string("u"), std::nullopt, value(true), std::nullopt}};
  message m = msg::announce{"/", {sig}};
  auto expected = bytes(
      {0x03, 0, 1, '/', 0, 1, 0, 2, '/', 'f', 0x00, 0x05, 0, 1, 'f', 0x05, 0, 1, 'u', 0x01, 0x01});
  EXPECT_EQ(payload_of(m), expected);
  EXPECT_EQ(decoded(expected), m);
}

TEST(CodecLayout, SnapshotBundleAckErrorReplaySync) {
  message snap = msg::snapshot{{param_entry{"/a", value(), 1, std::string("w"), std::nullopt}}};
  EXPECT_EQ(payload_of(snap),
            bytes({0x23, 0, 1, 0, 2, '/', 'a', 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0, 1, 'w'}));
  message bundle = msg::bundle{std::nullopt, {msg::ping{}, msg::get{"/"}}};
  EXPECT_EQ(payload_of(bundle), bytes({0x30, 0x00, 0, 2, 0, 1, 0x41, 0, 4, 0x22, 0, 1, '/'}));
  message ack = msg::ack{std::nullopt, revision_t{2}, true, std::nullopt, 1u};
  EXPECT_EQ(payload_of(ack), bytes({0x50, 0x16, 0, 0, 0, 0, 0, 0, 0, 2, 0x01, 0, 0, 0, 1}));
  message error = msg::error{401, "x", std::string("/a"), std::nullopt};
  EXPECT_EQ(payload_of(error), bytes({0x51, 0x01, 0x91, 0, 1, 'x', 0x01, 0, 2, '/', 'a'}));
  message replay = msg::replay{"/", std::nullopt, std::uint64_t{1}, std::nullopt, 0x03};
  EXPECT_EQ(payload_of(replay), bytes({0x24, 0x40, 0, 1, '/', 0, 0, 0, 0, 0, 0, 0, 1, 0x03}));
  message sync = msg::sync{1, std::nullopt, std::uint64_t{3}};
  EXPECT_EQ(payload_of(sync), bytes({0x40, 0x02, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3}));
  message result = msg::result{
      {signal_definition{"/r", signal_type::event, std::nullopt, std::string("r"), std::nullopt}}};
  EXPECT_EQ(payload_of(result), bytes({0x61, 0, 1, 0, 2, '/', 'r', 0x01, 0x02, 0, 1, 'r'}));
}

}  // namespace
}  // namespace clasp

// The router's fan-out encodes SETs from their parts; the bytes must be the
// ones encode_frame produces for the same message, and the address must sit at
// byte 8 (the router's coalesce key views it there).
TEST(codec_set_parts, same_bytes_as_a_set_message) {
  using namespace clasp;
  const std::vector<value> values = {value{}, value(true), value(std::int64_t{-7}), value(2.5),
                                     value("text"), value(byte_string{std::string(32, '\x01')}),
                                     value(value_array{value(1.0), value("x")}),
                                     value(value_map{{"k", value(3.0)}})};
  for (const auto& v : values) {
    for (std::optional<revision_t> rev : {std::optional<revision_t>{}, std::optional<revision_t>{42}}) {
      msg::set m;
      m.address = "/site-a/bench/17";
      m.val = v;
      m.revision = rev;
      std::string expected;
      ASSERT_TRUE(codec::encode_frame(m, {}, expected));
      std::string got;
      ASSERT_TRUE(codec::encode_set_frame(m.address, v, rev, {}, got));
      EXPECT_EQ(got, expected) << to_string(v);
      EXPECT_EQ(got.substr(8, m.address.size()), m.address);
    }
  }
  std::string out;
  EXPECT_FALSE(codec::encode_set_frame("/big", value(std::string(70000, 'x')), 1, {}, out));
  EXPECT_TRUE(out.empty());
}
