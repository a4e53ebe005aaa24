// RFC 6455 framing: every byte split, fragments, control frames, and the errors.
#include "transport/ws_frame.hpp"

#include <gtest/gtest.h>

namespace clasp::transport {
namespace {

const std::uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};

std::string client_frame(ws_opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  append_ws_frame(out, op, payload, key);
  if (!fin) out[0] = char(out[0] & 0x7F);
  return out;
}

std::vector<std::string> messages(const frame_batch& b) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < b.size(); ++i) out.emplace_back(b.frame(i));
  return out;
}

TEST(ws_frame, server_reads_masked_frames_of_every_length_class) {
  const std::string small(5, 'a'), medium(300, 'b'), large(70000, 'c');
  std::string wire = client_frame(ws_opcode::binary, small) +
                     client_frame(ws_opcode::text, medium) +
                     client_frame(ws_opcode::binary, large) + client_frame(ws_opcode::binary, "");
  ws_frame_reader reader(ws_role::server);
  reader.feed(wire);
  frame_batch batch;
  ws_events events;
  reader.parse(batch, events);
  ASSERT_FALSE(events.failed()) << events.error;
  EXPECT_EQ(messages(batch), (std::vector<std::string>{small, medium, large, ""}));
  EXPECT_EQ(reader.buffered(), 0u);
}

// An idle connection holds no read buffer; a half-read frame keeps it.
TEST(ws_frame, the_read_buffer_is_released_only_when_nothing_is_buffered) {
  ws_frame_reader reader(ws_role::server);
  const std::string wire = client_frame(ws_opcode::binary, std::string(40000, 'x')) +
                           client_frame(ws_opcode::binary, "tail");
  reader.feed(wire.substr(0, 30000));  // the first frame, cut short
  EXPECT_GE(reader.capacity(), 30000u);
  frame_batch batch;
  ws_events events;
  reader.parse(batch, events);
  EXPECT_EQ(batch.size(), 0u);
  reader.release_idle();
  EXPECT_EQ(reader.buffered(), 30000u) << "a partial frame must survive release_idle";
  reader.feed(wire.substr(30000));
  reader.parse(batch, events);
  ASSERT_FALSE(events.failed()) << events.error;
  EXPECT_EQ(messages(batch), (std::vector<std::string>{std::string(40000, 'x'), "tail"}));
  reader.release_idle();
  EXPECT_EQ(reader.capacity(), 0u);
  // And it grows again for the next read.
  char* into = reader.prepare(64 * 1024);
  ASSERT_NE(into, nullptr);
  EXPECT_GE(reader.writable(), 64u * 1024);
  const std::string again = client_frame(ws_opcode::binary, "again");
  std::copy(again.begin(), again.end(), into);
  reader.commit(again.size());
  frame_batch next;
  reader.parse(next, events);
  EXPECT_EQ(messages(next), (std::vector<std::string>{"again"}));
}

TEST(ws_frame, every_split_point_gives_the_same_messages) {
  std::string wire = client_frame(ws_opcode::binary, "first") + client_frame(ws_opcode::ping, "p") +
                     client_frame(ws_opcode::binary, std::string(200, 'x')) +
                     client_frame(ws_opcode::binary, "frag-", false) +
                     client_frame(ws_opcode::pong, "") +
                     client_frame(ws_opcode::continuation, "ment");
  const std::vector<std::string> expected{"first", std::string(200, 'x'), "frag-ment"};
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    ws_frame_reader reader(ws_role::server);
    frame_batch batch;
    ws_events events;
    reader.feed(std::string_view(wire).substr(0, split));
    reader.parse(batch, events);
    reader.feed(std::string_view(wire).substr(split));
    reader.parse(batch, events);
    ASSERT_FALSE(events.failed()) << "split " << split << ": " << events.error;
    EXPECT_EQ(messages(batch), expected) << "split " << split;
    EXPECT_EQ(events.pings, std::vector<std::string>{"p"});
  }
}

TEST(ws_frame, byte_by_byte_feeding_works) {
  std::string wire = client_frame(ws_opcode::binary, std::string(70000, 'z'));
  ws_frame_reader reader(ws_role::server);
  frame_batch batch;
  ws_events events;
  for (char c : wire) {
    reader.feed(std::string_view(&c, 1));
    reader.parse(batch, events);
  }
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.frame(0), std::string(70000, 'z'));
}

TEST(ws_frame, fragmented_message_with_many_parts_and_interleaved_ping) {
  std::string wire = client_frame(ws_opcode::binary, "a", false) +
                     client_frame(ws_opcode::continuation, "b", false) +
                     client_frame(ws_opcode::ping, "mid") +
                     client_frame(ws_opcode::continuation, "c", false) +
                     client_frame(ws_opcode::continuation, "d");
  ws_frame_reader reader(ws_role::server);
  reader.feed(wire);
  frame_batch batch;
  ws_events events;
  reader.parse(batch, events);
  EXPECT_EQ(messages(batch), std::vector<std::string>{"abcd"});
  EXPECT_EQ(events.pings, std::vector<std::string>{"mid"});
}

TEST(ws_frame, close_frame_carries_code_and_reason_and_stops_parsing) {
  std::string wire = client_frame(ws_opcode::close, ws_close_payload(1001, "bye")) +
                     client_frame(ws_opcode::binary, "after");
  ws_frame_reader reader(ws_role::server);
  reader.feed(wire);
  frame_batch batch;
  ws_events events;
  reader.parse(batch, events);
  EXPECT_TRUE(events.close_received);
  EXPECT_EQ(events.close_code, 1001);
  EXPECT_EQ(events.close_reason, "bye");
  EXPECT_EQ(batch.size(), 0u);
}

struct bad_input {
  const char* name;
  std::string wire;
  std::uint16_t code;
};

TEST(ws_frame, protocol_violations_are_errors) {
  std::string rsv = client_frame(ws_opcode::binary, "x");
  rsv[0] = char(rsv[0] | 0x40);
  std::string bad_op = client_frame(ws_opcode::binary, "x");
  bad_op[0] = char(0x83);
  std::string unmasked;
  append_ws_frame(unmasked, ws_opcode::binary, "x");
  std::string long_ping = client_frame(ws_opcode::ping, std::string(126, 'p'));
  std::string frag_ping = client_frame(ws_opcode::ping, "p", false);
  std::string stray_cont = client_frame(ws_opcode::continuation, "x");
  std::string nested =
      client_frame(ws_opcode::binary, "a", false) + client_frame(ws_opcode::binary, "b");
  std::string close1 = client_frame(ws_opcode::close, "x");
  std::string huge_len(
      "\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x01"
      "abcd",
      14);
  std::string oversize = client_frame(ws_opcode::binary, std::string(1025, 'o'));
  std::string oversize_frags = client_frame(ws_opcode::binary, std::string(600, 'o'), false) +
                               client_frame(ws_opcode::continuation, std::string(600, 'o'));
  const std::vector<bad_input> cases{
      {"rsv bit", rsv, 1002},
      {"opcode 3", bad_op, 1002},
      {"unmasked", unmasked, 1002},
      {"ping > 125", long_ping, 1002},
      {"fragmented ping", frag_ping, 1002},
      {"stray continuation", stray_cont, 1002},
      {"nested message", nested, 1002},
      {"close of 1 byte", close1, 1002},
      {"64-bit high bit", huge_len, 1002},
      {"oversize", oversize, 1009},
      {"oversize in fragments", oversize_frags, 1009},
  };
  for (const auto& c : cases) {
    ws_frame_reader reader(ws_role::server, 1024);
    reader.feed(c.wire);
    frame_batch batch;
    ws_events events;
    reader.parse(batch, events);
    EXPECT_EQ(events.error_code, c.code) << c.name;
    // A dead reader stays dead.
    reader.feed(client_frame(ws_opcode::binary, "later"));
    reader.parse(batch, events);
    EXPECT_EQ(batch.size(), 0u) << c.name;
  }
}

TEST(ws_frame, oversize_is_rejected_from_the_header_alone) {
  // Only the header of a 2 MiB frame: no need to buffer the payload to refuse it.
  std::string header(
      "\x82\xFF\x00\x00\x00\x00\x00\x20\x00\x00"
      "\x01\x02\x03\x04",
      14);
  ws_frame_reader reader(ws_role::server);
  reader.feed(header);
  frame_batch batch;
  ws_events events;
  reader.parse(batch, events);
  EXPECT_EQ(events.error_code, 1009);
}

TEST(ws_frame, client_role_requires_unmasked_frames) {
  std::string server_frame;
  append_ws_frame(server_frame, ws_opcode::binary, "hello");
  ws_frame_reader reader(ws_role::client);
  reader.feed(server_frame);
  frame_batch batch;
  ws_events events;
  reader.parse(batch, events);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.frame(0), "hello");

  ws_frame_reader strict(ws_role::client);
  strict.feed(client_frame(ws_opcode::binary, "hello"));
  strict.parse(batch, events);
  EXPECT_EQ(events.error_code, 1002);
}

TEST(ws_frame, encoder_writes_minimal_lengths_and_masks) {
  std::string out;
  append_ws_frame(out, ws_opcode::binary, std::string(125, 'a'));
  EXPECT_EQ(out.size(), 2u + 125);
  EXPECT_EQ(std::uint8_t(out[0]), 0x82);
  out.clear();
  append_ws_frame(out, ws_opcode::binary, std::string(126, 'a'));
  EXPECT_EQ(out.size(), 4u + 126);
  out.clear();
  append_ws_frame(out, ws_opcode::binary, std::string(65536, 'a'));
  EXPECT_EQ(out.size(), 10u + 65536);
  out.clear();
  append_ws_frame(out, ws_opcode::binary, "abcdefghijk", key);
  EXPECT_EQ(std::uint8_t(out[1]), 0x80 | 11);
  EXPECT_EQ(out[6], char('a' ^ 0x11));
  EXPECT_EQ(out[16], char('k' ^ 0x33));
}

TEST(ws_frame, mask_with_offset_matches_bytewise) {
  std::string data(37, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = char(i * 7);
  for (std::size_t offset = 0; offset < 4; ++offset) {
    std::string fast = data;
    ws_apply_mask(fast.data(), fast.size(), key, offset);
    for (std::size_t i = 0; i < data.size(); ++i)
      ASSERT_EQ(fast[i], char(data[i] ^ key[(offset + i) & 3])) << offset << " " << i;
  }
}

}  // namespace
}  // namespace clasp::transport
