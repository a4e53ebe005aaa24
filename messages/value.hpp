// The CLASP value model: every wire value type, with integers widened to i64
// and floats to f64 as PROTOCOL.md prescribes for decoders.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace clasp {

// Wire type codes (PROTOCOL.md "Values").
enum class value_type : std::uint8_t {
  null = 0x00,
  boolean = 0x01,
  i8 = 0x02,
  i16 = 0x03,
  i32 = 0x04,
  i64 = 0x05,
  f32 = 0x06,
  f64 = 0x07,
  string = 0x08,
  bytes = 0x09,
  array = 0x0A,
  map = 0x0B,
};

struct value;

// Raw bytes, kept apart from text so a round trip preserves the type code.
struct byte_string {
  std::string data;
  friend bool operator==(const byte_string& a, const byte_string& b) { return a.data == b.data; }
  friend bool operator!=(const byte_string& a, const byte_string& b) { return !(a == b); }
};

using value_array = std::vector<value>;
// Wire order is kept (the JS client encodes object keys in insertion order).
using value_map = std::vector<std::pair<std::string, value>>;

struct value {
  using variant_type = std::variant<std::monostate, bool, std::int64_t, double, std::string,
                                    byte_string, value_array, value_map>;
  variant_type data;

  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : data(b) {}
  value(int i) : data(std::int64_t{i}) {}
  value(std::int64_t i) : data(i) {}
  value(double d) : data(d) {}
  value(const char* s) : data(std::string(s)) {}
  value(std::string s) : data(std::move(s)) {}
  value(byte_string b) : data(std::move(b)) {}
  value(value_array a) : data(std::move(a)) {}
  value(value_map m) : data(std::move(m)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(data); }
  // The type code an encoder writes: integers as i64, floats as f64.
  value_type wire_type() const;

  friend bool operator==(const value& a, const value& b) { return a.data == b.data; }
  friend bool operator!=(const value& a, const value& b) { return !(a == b); }
};

// Human-readable rendering for logs, tests and the CLI (JSON-like).
std::string to_string(const value& v);

}  // namespace clasp
