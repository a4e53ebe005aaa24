// Value helpers: the wire type an encoder writes and a JSON-like rendering.
#include "messages/value.hpp"

#include <charconv>
#include <cstdio>

namespace clasp {
namespace {

void append_quoted(std::string& out, const std::string& s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_value(std::string& out, const value& v);

struct appender {
  std::string& out;
  void operator()(std::monostate) const { out += "null"; }
  void operator()(bool b) const { out += b ? "true" : "false"; }
  void operator()(std::int64_t i) const { out += std::to_string(i); }
  void operator()(double d) const {
    char buf[32];
    // Shortest form that reads back to the same double.
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, res.ptr);
  }
  void operator()(const std::string& s) const { append_quoted(out, s); }
  void operator()(const byte_string& b) const {
    static const char hex[] = "0123456789abcdef";
    out += "b\"";
    for (unsigned char c : b.data) {
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0F]);
    }
    out.push_back('"');
  }
  void operator()(const value_array& a) const {
    out.push_back('[');
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i) out.push_back(',');
      append_value(out, a[i]);
    }
    out.push_back(']');
  }
  void operator()(const value_map& m) const {
    out.push_back('{');
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (i) out.push_back(',');
      append_quoted(out, m[i].first);
      out.push_back(':');
      append_value(out, m[i].second);
    }
    out.push_back('}');
  }
};

void append_value(std::string& out, const value& v) { std::visit(appender{out}, v.data); }

}  // namespace

value_type value::wire_type() const {
  // Order of the variant alternatives: monostate, bool, i64, f64, string, bytes, array, map.
  static constexpr value_type by_index[] = {
      value_type::null,   value_type::boolean, value_type::i64,   value_type::f64,
      value_type::string, value_type::bytes,   value_type::array, value_type::map};
  return by_index[data.index()];
}

std::string to_string(const value& v) {
  std::string out;
  append_value(out, v);
  return out;
}

}  // namespace clasp
