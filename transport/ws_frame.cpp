// RFC 6455 frame reader and encoder (see ws_frame.hpp).
#include "transport/ws_frame.hpp"

#include <algorithm>
#include <cstring>

namespace clasp::transport {
namespace {

constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t message_too_big = 1009;

bool known_opcode(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

}  // namespace

ws_frame_reader::ws_frame_reader(ws_role role, std::size_t max_message_bytes)
    : role_(role), max_message_(max_message_bytes) {}

char* ws_frame_reader::prepare(std::size_t min_space) {
  compact();
  if (capacity_ - end_ < min_space) {
    const std::size_t wanted = std::max(end_ + min_space, 2 * end_);
    std::unique_ptr<char[]> bigger(new char[wanted]);  // uninitialised on purpose
    if (end_ > 0) std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = wanted;
  }
  return buffer_.get() + end_;
}

void ws_frame_reader::release_idle() {
  if (buffered() != 0) return;
  buffer_.reset();
  capacity_ = begin_ = end_ = 0;
  if (!in_fragmented_) std::string().swap(fragments_);
}

void ws_frame_reader::feed(std::string_view bytes) {
  if (bytes.empty()) return;  // the buffer may not exist, and memcpy wants a real pointer
  std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
  commit(bytes.size());
}

void ws_frame_reader::compact() {
  if (begin_ == 0) return;
  std::size_t rest = end_ - begin_;
  if (rest > 0) std::memmove(buffer_.get(), buffer_.get() + begin_, rest);
  begin_ = 0;
  end_ = rest;
}

void ws_frame_reader::parse(frame_batch& batch, ws_events& events) {
  auto fail = [&](std::uint16_t code, const char* why) {
    events.error_code = code;
    events.error = why;
    dead_ = true;
  };
  while (!dead_) {
    const std::size_t avail = end_ - begin_;
    if (avail < 2) break;
    const auto* p = reinterpret_cast<const std::uint8_t*>(buffer_.get() + begin_);
    const bool fin = (p[0] & 0x80) != 0;
    const std::uint8_t op = p[0] & 0x0F;
    const bool masked = (p[1] & 0x80) != 0;
    const bool control = (op & 0x8) != 0;
    if ((p[0] & 0x70) != 0) return fail(protocol_error, "reserved bits set");
    if (!known_opcode(op)) return fail(protocol_error, "unknown opcode");
    if (control && (!fin || (p[1] & 0x7F) > 125))
      return fail(protocol_error, "fragmented or oversized control frame");
    if (role_ == ws_role::server && !masked) return fail(protocol_error, "unmasked client frame");
    if (role_ == ws_role::client && masked) return fail(protocol_error, "masked server frame");

    std::size_t header = 2;
    std::uint64_t length = p[1] & 0x7F;
    if (length == 126) {
      if (avail < 4) break;
      length = (std::uint64_t(p[2]) << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (avail < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
      if (length >> 63) return fail(protocol_error, "64-bit length with high bit set");
      header = 10;
    }
    if (masked) header += 4;
    if (avail < header) break;
    // Reject oversize messages before buffering their payload.
    if (!control) {
      const std::uint64_t so_far = op == 0x0 ? fragments_.size() : 0;
      if (length > max_message_ || so_far + length > max_message_)
        return fail(message_too_big, "message too big");
    }
    if (avail - header < length) break;

    const char* payload = buffer_.get() + begin_ + header;
    const auto size = static_cast<std::size_t>(length);
    const std::uint8_t* key = masked ? p + header - 4 : nullptr;
    begin_ += header + size;

    switch (static_cast<ws_opcode>(op)) {
      case ws_opcode::continuation: {
        if (!in_fragmented_) return fail(protocol_error, "continuation without a message");
        const std::size_t at = fragments_.size();
        fragments_.append(payload, size);
        if (key) ws_apply_mask(fragments_.data() + at, size, key);
        if (fin) {
          batch.spans.emplace_back(static_cast<std::uint32_t>(batch.bytes.size()),
                                   static_cast<std::uint32_t>(fragments_.size()));
          batch.bytes += fragments_;
          fragments_.clear();
          in_fragmented_ = false;
        }
        break;
      }
      case ws_opcode::text:
      case ws_opcode::binary: {
        if (in_fragmented_) return fail(protocol_error, "new message inside a fragmented one");
        if (fin) {
          const std::size_t at = batch.bytes.size();
          batch.bytes.append(payload, size);
          if (key) ws_apply_mask(batch.bytes.data() + at, size, key);
          batch.spans.emplace_back(static_cast<std::uint32_t>(at),
                                   static_cast<std::uint32_t>(size));
        } else {
          in_fragmented_ = true;
          fragments_.assign(payload, size);
          if (key) ws_apply_mask(fragments_.data(), size, key);
        }
        break;
      }
      case ws_opcode::ping: {
        events.pings.emplace_back(payload, size);
        if (key) ws_apply_mask(events.pings.back().data(), size, key);
        break;
      }
      case ws_opcode::pong:
        break;
      case ws_opcode::close: {
        if (size == 1) return fail(protocol_error, "close frame with a 1-byte payload");
        std::string body(payload, size);
        if (key) ws_apply_mask(body.data(), size, key);
        if (size >= 2) {
          events.close_code =
              static_cast<std::uint16_t>((std::uint8_t(body[0]) << 8) | std::uint8_t(body[1]));
          events.close_reason = body.substr(2);
        }
        events.close_received = true;
        dead_ = true;  // nothing after a close frame counts
        break;
      }
    }
  }
  compact();
}

void ws_apply_mask(char* bytes, std::size_t size, const std::uint8_t* mask_key,
                   std::size_t key_offset) {
  std::size_t i = 0;
  // Byte-wise until the key position is back at 0, then 8 bytes at a time.
  for (; i < size && ((key_offset + i) & 3) != 0; ++i)
    bytes[i] ^= char(mask_key[(key_offset + i) & 3]);
  std::uint8_t key8[8];
  for (int k = 0; k < 8; ++k) key8[k] = mask_key[k & 3];
  std::uint64_t key64;
  std::memcpy(&key64, key8, 8);
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    word ^= key64;
    std::memcpy(bytes + i, &word, 8);
  }
  for (; i < size; ++i) bytes[i] ^= char(mask_key[(key_offset + i) & 3]);
}

void append_ws_frame(std::string& out, ws_opcode opcode, std::string_view payload,
                     const std::uint8_t* mask_key) {
  char header[14];
  std::size_t h = 2;
  const std::uint64_t n = payload.size();
  header[0] = char(0x80 | static_cast<std::uint8_t>(opcode));
  if (n < 126) {
    header[1] = char(n);
  } else if (n < 65536) {
    header[1] = char(126);
    header[2] = char(n >> 8);
    header[3] = char(n);
    h = 4;
  } else {
    header[1] = char(127);
    for (int i = 0; i < 8; ++i) header[2 + i] = char(n >> (56 - 8 * i));
    h = 10;
  }
  if (mask_key) {
    header[1] = char(header[1] | 0x80);
    std::memcpy(header + h, mask_key, 4);
    h += 4;
  }
  out.append(header, h);
  const std::size_t at = out.size();
  out.append(payload.data(), payload.size());
  if (mask_key) ws_apply_mask(out.data() + at, payload.size(), mask_key);
}

std::string ws_close_payload(std::uint16_t code, std::string_view reason) {
  std::string out;
  out.push_back(char(code >> 8));
  out.push_back(char(code & 0xFF));
  out.append(reason.substr(0, 123));
  return out;
}

}  // namespace clasp::transport
