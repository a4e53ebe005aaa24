// The 32-byte benchmark payload: sequence number, send time (steady clock ns),
// the run's nonce (so values left over from an earlier run are ignored) and a kind.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace bench {

enum class payload_kind : std::uint64_t { data = 0x44415441, probe = 0x50524f42 };

struct payload {
  std::uint64_t seq = 0;
  std::uint64_t sent_ns = 0;
  std::uint64_t nonce = 0;
  payload_kind kind = payload_kind::data;
};

constexpr std::size_t payload_size = 32;
using payload_bytes = std::array<std::uint8_t, payload_size>;

// Host byte order is fine: the same process writes and reads the bytes.
inline payload_bytes encode_payload(const payload& p) {
  payload_bytes b{};
  std::memcpy(b.data(), &p.seq, 8);
  std::memcpy(b.data() + 8, &p.sent_ns, 8);
  std::memcpy(b.data() + 16, &p.nonce, 8);
  std::memcpy(b.data() + 24, &p.kind, 8);
  return b;
}

// False when the bytes are not one of our payloads.
inline bool decode_payload(const std::uint8_t* data, std::size_t n, payload& out) {
  if (n != payload_size) return false;
  std::memcpy(&out.seq, data, 8);
  std::memcpy(&out.sent_ns, data + 8, 8);
  std::memcpy(&out.nonce, data + 16, 8);
  std::memcpy(&out.kind, data + 24, 8);
  return out.kind == payload_kind::data || out.kind == payload_kind::probe;
}

}  // namespace bench
