// Conversions between nlohmann::json and the CLASP value model.
#include "app/value_json.hpp"

#include <nlohmann/json.hpp>

namespace clasp::app {

namespace {

value from_json(const nlohmann::json& x) {
  if (x.is_null()) return value{};
  if (x.is_boolean()) return value(x.get<bool>());
  if (x.is_number_unsigned() && x.get<std::uint64_t>() > INT64_MAX) return value(x.get<double>());
  if (x.is_number_integer()) return value(x.get<std::int64_t>());
  if (x.is_number()) return value(x.get<double>());
  if (x.is_string()) return value(x.get<std::string>());
  if (x.is_array()) {
    value_array a;
    for (const auto& e : x) a.push_back(from_json(e));
    return value(std::move(a));
  }
  value_map m;
  for (auto it = x.begin(); it != x.end(); ++it) m.emplace_back(it.key(), from_json(it.value()));
  return value(std::move(m));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

value value_from_text(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return value(text);  // not JSON: a plain string
  return from_json(j);
}

std::optional<byte_string> bytes_from_hex(const std::string& hex) {
  std::size_t start = hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0 ? 2 : 0;
  if ((hex.size() - start) % 2 != 0) return std::nullopt;
  byte_string out;
  for (std::size_t i = start; i < hex.size(); i += 2) {
    int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.data.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

nlohmann::json value_to_json(const value& v) {
  struct visitor {
    nlohmann::json operator()(std::monostate) const { return nullptr; }
    nlohmann::json operator()(bool b) const { return b; }
    nlohmann::json operator()(std::int64_t i) const { return i; }
    nlohmann::json operator()(double d) const { return d; }
    nlohmann::json operator()(const std::string& s) const { return s; }
    nlohmann::json operator()(const byte_string& b) const {
      static const char* digits = "0123456789abcdef";
      std::string hex;
      for (unsigned char c : b.data) {
        hex += digits[c >> 4];
        hex += digits[c & 15];
      }
      return nlohmann::json{{"bytes", hex}};
    }
    nlohmann::json operator()(const value_array& a) const {
      auto out = nlohmann::json::array();
      for (const auto& e : a) out.push_back(value_to_json(e));
      return out;
    }
    nlohmann::json operator()(const value_map& m) const {
      auto out = nlohmann::json::object();
      for (const auto& [k, e] : m) out[k] = value_to_json(e);
      return out;
    }
  };
  return std::visit(visitor{}, v.data);
}

}  // namespace clasp::app
