// Bounds-checked big-endian reader over an untrusted payload. Every read says
// which field it is for, so a failure explains itself ("SET: truncated at byte 7 (address)").
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "messages/codec.hpp"

namespace clasp::codec::detail {

class wire_reader {
 public:
  wire_reader(std::string_view bytes, const char* context, decode_error& err)
      : begin_(reinterpret_cast<const unsigned char*>(bytes.data())),
        pos_(begin_),
        end_(begin_ + bytes.size()),
        context_(context),
        err_(err) {}

  std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }
  std::size_t offset() const { return static_cast<std::size_t>(pos_ - begin_); }
  const char* context() const { return context_; }
  decode_error& error() { return err_; }

  bool u8(std::uint8_t& v, const char* field) {
    if (!need(1, field)) return false;
    v = *pos_++;
    return true;
  }
  bool u16(std::uint16_t& v, const char* field) {
    if (!need(2, field)) return false;
    v = static_cast<std::uint16_t>((pos_[0] << 8) | pos_[1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v, const char* field) {
    if (!need(4, field)) return false;
    v = (std::uint32_t{pos_[0]} << 24) | (std::uint32_t{pos_[1]} << 16) |
        (std::uint32_t{pos_[2]} << 8) | std::uint32_t{pos_[3]};
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t& v, const char* field) {
    if (!need(8, field)) return false;
    std::uint64_t x = 0;
    for (int i = 0; i < 8; ++i) x = (x << 8) | pos_[i];
    v = x;
    pos_ += 8;
    return true;
  }
  bool f32(float& v, const char* field) {
    std::uint32_t bits;
    if (!u32(bits, field)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool f64(double& v, const char* field) {
    std::uint64_t bits;
    if (!u64(bits, field)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  // Views the next n bytes (valid as long as the input is).
  bool raw(std::size_t n, std::string_view& v, const char* field) {
    if (!need(n, field)) return false;
    v = std::string_view(reinterpret_cast<const char*>(pos_), n);
    pos_ += n;
    return true;
  }
  // u16 length + bytes; assign() reuses the target's capacity.
  bool str(std::string& out, const char* field) {
    std::uint16_t n;
    std::string_view v;
    if (!u16(n, field) || !raw(n, v, field)) return false;
    out.assign(v.data(), v.size());
    return true;
  }
  bool str_view(std::string_view& out, const char* field) {
    std::uint16_t n;
    return u16(n, field) && raw(n, out, field);
  }

  // A declared element count must fit in the bytes left (each element takes at
  // least min_each bytes); stops tiny inputs from requesting huge allocations.
  bool count_fits(std::size_t count, std::size_t min_each, const char* field) {
    if (count * min_each <= remaining()) return true;
    return fail("count " + std::to_string(count) + " exceeds the remaining bytes", field);
  }

  bool fail(const std::string& what, const char* field) {
    err_.code = error_code::invalid_message;
    err_.reason = std::string(context_) + ": " + what + " at byte " + std::to_string(offset()) +
                  " (" + field + ")";
    return false;
  }

 private:
  bool need(std::size_t n, const char* field) {
    if (remaining() >= n) return true;
    return fail("truncated", field);
  }

  const unsigned char* begin_;
  const unsigned char* pos_;
  const unsigned char* end_;
  const char* context_;
  decode_error& err_;
};

}  // namespace clasp::codec::detail
