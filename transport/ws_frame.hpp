// RFC 6455 framing without any I/O: an incremental reader that turns socket
// bytes into whole messages (many per read), and an encoder that appends frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/connection.hpp"

namespace clasp::transport {

enum class ws_role : std::uint8_t {
  server,  // reads masked frames, writes unmasked ones
  client,  // reads unmasked frames, writes masked ones
};

enum class ws_opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// What a parse pass found besides data messages.
struct ws_events {
  std::vector<std::string> pings;   // payloads to answer with pongs, in order
  bool close_received = false;      // a close frame arrived; nothing after it was parsed
  std::uint16_t close_code = 1005;  // 1005: the close frame carried no code
  std::string close_reason;
  // Set on a protocol violation: the close code to send (1002, 1009) and why.
  std::uint16_t error_code = 0;
  std::string error;
  bool failed() const { return error_code != 0; }
};

class ws_frame_reader {
 public:
  explicit ws_frame_reader(ws_role role, std::size_t max_message_bytes = 1 << 20);

  // Socket reads go straight into the reader's buffer: prepare at least
  // `min_space` writable bytes, read into them, then commit what was read.
  char* prepare(std::size_t min_space);
  std::size_t writable() const { return capacity_ - end_; }
  void commit(std::size_t bytes) { end_ += bytes; }
  void feed(std::string_view bytes);  // prepare + copy + commit (tests, handshake leftovers)

  // Parses every complete frame buffered so far. Whole data messages (text is
  // treated as binary) are appended to `batch`; control frames to `events`.
  // Stops at a close frame or the first protocol error (then the reader is dead).
  void parse(frame_batch& batch, ws_events& events);

  std::size_t buffered() const { return end_ - begin_; }

  // Frees the read buffer while nothing is buffered, so an idle connection
  // holds no read memory; the next prepare() allocates again.
  void release_idle();
  std::size_t capacity() const { return capacity_; }

 private:
  void compact();

  ws_role role_;
  std::size_t max_message_;
  // [begin_, end_) holds unparsed bytes. Not a std::string: growing it must
  // not zero-fill (and so make resident) pages no read has reached.
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::string fragments_;  // payload of a fragmented message so far
  bool in_fragmented_ = false;
  bool dead_ = false;
};

// Appends one frame (FIN set). A non-null 4-byte `mask_key` makes a masked
// (client) frame; null makes an unmasked (server) frame.
void append_ws_frame(std::string& out, ws_opcode opcode, std::string_view payload,
                     const std::uint8_t* mask_key = nullptr);

// Close-frame payload: 2-byte code then the reason (cut to fit 125 bytes).
std::string ws_close_payload(std::uint16_t code, std::string_view reason);

// XORs `bytes` with the 4-byte key, starting at key position `key_offset`.
void ws_apply_mask(char* bytes, std::size_t size, const std::uint8_t* mask_key,
                   std::size_t key_offset = 0);

}  // namespace clasp::transport
