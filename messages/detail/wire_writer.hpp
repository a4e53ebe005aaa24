// Two encoding sinks with one interface: one counts bytes, one writes them.
// Every encoder is a template over the sink, so encoded_size() and the bytes
// written cannot drift apart.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace clasp::codec::detail {

class size_sink {
 public:
  void u8(std::uint8_t) { n_ += 1; }
  void u16(std::uint16_t) { n_ += 2; }
  void u32(std::uint32_t) { n_ += 4; }
  void u64(std::uint64_t) { n_ += 8; }
  void f64(double) { n_ += 8; }
  void raw(std::string_view s) { n_ += s.size(); }
  void str(std::string_view s) { n_ += 2 + s.size(); }
  template <class F>
  void length_prefixed(F&& body) {
    n_ += 2;
    body();
  }
  std::size_t size() const { return n_; }

 private:
  std::size_t n_ = 0;
};

// Writes into a buffer already sized by size_sink; no bounds checks here.
class write_sink {
 public:
  explicit write_sink(char* at) : p_(at) {}
  void u8(std::uint8_t v) { *p_++ = static_cast<char>(v); }
  void u16(std::uint16_t v) {
    p_[0] = static_cast<char>(v >> 8);
    p_[1] = static_cast<char>(v);
    p_ += 2;
  }
  void u32(std::uint32_t v) {
    p_[0] = static_cast<char>(v >> 24);
    p_[1] = static_cast<char>(v >> 16);
    p_[2] = static_cast<char>(v >> 8);
    p_[3] = static_cast<char>(v);
    p_ += 4;
  }
  void u64(std::uint64_t v) {
    for (int i = 7; i >= 0; --i) {
      p_[i] = static_cast<char>(v);
      v >>= 8;
    }
    p_ += 8;
  }
  void f64(double d) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    u64(bits);
  }
  void raw(std::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  // Strings longer than 65535 bytes only occur in payloads the frame encoder
  // refuses anyway, so the truncated length never reaches the wire.
  void str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }
  // Writes a u16 length, then the body, then patches the length in.
  template <class F>
  void length_prefixed(F&& body) {
    char* at = p_;
    p_ += 2;
    body();
    auto n = static_cast<std::uint16_t>(p_ - at - 2);
    at[0] = static_cast<char>(n >> 8);
    at[1] = static_cast<char>(n);
  }
  char* position() const { return p_; }

 private:
  char* p_;
};

}  // namespace clasp::codec::detail
