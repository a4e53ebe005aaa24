// C++ message -> the JS decoder's object shape; mirrors the decode* functions of
// @clasp-to/core 3.3.2 (dist/index.js), including what they drop.
#include "tests/interop/js_shape.hpp"

#include <cmath>
#include <type_traits>
#include <variant>

namespace clasp::interop {
namespace {

using nlohmann::json;

json u64(std::uint64_t v) { return js_number(static_cast<double>(v)); }

// The JS client knows five feature bits; federation (0x04) is not reported.
json features(std::uint8_t bits) {
  json out = json::array();
  if (bits & feature::param) out.push_back("param");
  if (bits & feature::event) out.push_back("event");
  if (bits & feature::stream) out.push_back("stream");
  if (bits & feature::gesture) out.push_back("gesture");
  if (bits & feature::timeline) out.push_back("timeline");
  return out;
}

const char* signal_name(signal_type t) {
  switch (t) {
    case signal_type::param:
      return "param";
    case signal_type::event:
      return "event";
    case signal_type::stream:
      return "stream";
    case signal_type::gesture:
      return "gesture";
    case signal_type::timeline:
      return "timeline";
  }
  return "event";  // the JS default for unknown codes
}

const char* phase_name(gesture_phase p) {
  switch (p) {
    case gesture_phase::start:
      return "start";
    case gesture_phase::move:
      return "move";
    case gesture_phase::end:
      return "end";
    case gesture_phase::cancel:
      return "cancel";
  }
  return "start";
}

json signal_json(const signal_definition& s, bool with_meta) {
  json out = {{"address", s.address}, {"type", signal_name(s.type)}};
  if (s.datatype) out["datatype"] = *s.datatype;
  if (s.access) out["access"] = *s.access;
  if (with_meta && s.meta) {
    json meta = json::object();
    if (s.meta->unit) meta["unit"] = *s.meta->unit;
    if (s.meta->range)
      meta["range"] = {js_number(s.meta->range->first), js_number(s.meta->range->second)};
    if (s.meta->default_value) meta["default"] = js_value(*s.meta->default_value);
    if (s.meta->description) meta["description"] = *s.meta->description;
    out["meta"] = meta;
  }
  return out;
}

// The JS decoder lists types only for a mask other than 0xFF, and drops an empty list.
void add_types(json& out, std::uint8_t mask) {
  if (mask == type_mask::all) return;
  json types = json::array();
  if (mask & type_mask::param) types.push_back("param");
  if (mask & type_mask::event) types.push_back("event");
  if (mask & type_mask::stream) types.push_back("stream");
  if (mask & type_mask::gesture) types.push_back("gesture");
  if (mask & type_mask::timeline) types.push_back("timeline");
  if (!types.empty()) out["types"] = types;
}

struct shape_visitor {
  json operator()(const msg::hello& m) const {
    json out = {{"type", "HELLO"},
                {"version", m.version},
                {"name", m.name},
                {"features", features(m.features)}};
    if (!m.token.empty()) out["token"] = m.token;  // "" decodes to undefined
    return out;
  }
  json operator()(const msg::welcome& m) const {
    json out = {{"type", "WELCOME"},
                {"version", m.version},
                {"session", m.session},
                {"name", m.name},
                {"features", features(m.features)},
                {"time", u64(m.time_us)}};
    if (!m.token.empty()) out["token"] = m.token;
    return out;
  }
  json operator()(const msg::announce& m) const {
    json signals = json::array();
    for (const auto& s : m.signals) signals.push_back(signal_json(s, true));
    return {{"type", "ANNOUNCE"}, {"namespace", m.ns}, {"signals", signals}};
  }
  json operator()(const msg::federation_sync&) const {
    return {{"type", "$unsupported"}, {"reason", "FEDERATION_SYNC is unknown to @clasp-to/core"}};
  }
  json operator()(const msg::subscribe& m) const {
    json out = {{"type", "SUBSCRIBE"}, {"id", m.id}, {"pattern", m.pattern}};
    add_types(out, m.types);
    json options = json::object();
    if (m.options.max_rate) options["maxRate"] = *m.options.max_rate;
    if (m.options.epsilon) options["epsilon"] = js_number(*m.options.epsilon);
    if (m.options.history) options["history"] = *m.options.history;
    if (m.options.window) options["window"] = *m.options.window;
    if (!options.empty()) out["options"] = options;
    return out;
  }
  json operator()(const msg::unsubscribe& m) const {
    return {{"type", "UNSUBSCRIBE"}, {"id", m.id}};
  }
  json operator()(const msg::publish& m) const {
    json out = {{"type", "PUBLISH"},
                {"address", m.address},
                {"signal", signal_name(m.signal)},
                {"phase", phase_name(m.phase)}};
    if (m.val) out["value"] = js_value(*m.val);
    if (m.samples) {
      json samples = json::array();
      for (double d : *m.samples) samples.push_back(js_number(d));
      out["samples"] = samples;
    }
    if (m.rate) out["rate"] = *m.rate;
    if (m.gesture_id) out["id"] = *m.gesture_id;
    if (m.timestamp) out["timestamp"] = u64(*m.timestamp);
    return out;
  }
  // The JS decoder ignores the TTL field entirely.
  json operator()(const msg::set& m) const {
    json out = {{"type", "SET"}, {"address", m.address}, {"value", js_value(m.val)}};
    if (m.revision) out["revision"] = u64(*m.revision);
    if (m.lock) out["lock"] = true;
    if (m.unlock) out["unlock"] = true;
    return out;
  }
  json operator()(const msg::get& m) const { return {{"type", "GET"}, {"address", m.address}}; }
  json operator()(const msg::snapshot& m) const {
    json params = json::array();
    for (const auto& p : m.params) {
      json e = {{"address", p.address}, {"value", js_value(p.val)}, {"revision", u64(p.revision)}};
      if (p.writer) e["writer"] = *p.writer;
      if (p.timestamp) e["timestamp"] = u64(*p.timestamp);
      params.push_back(e);
    }
    return {{"type", "SNAPSHOT"}, {"params", params}};
  }
  json operator()(const msg::replay&) const {
    return {{"type", "$unsupported"}, {"reason", "REPLAY is unknown to @clasp-to/core"}};
  }
  json operator()(const msg::bundle& m) const {
    json inner = json::array();
    for (const auto& i : m.messages) inner.push_back(js_shape(i));
    json out = {{"type", "BUNDLE"}, {"messages", inner}};
    if (m.timestamp) out["timestamp"] = u64(*m.timestamp);
    return out;
  }
  json operator()(const msg::sync& m) const {
    json out = {{"type", "SYNC"}, {"t1", u64(m.t1)}};
    if (m.t2) out["t2"] = u64(*m.t2);
    if (m.t3) out["t3"] = u64(*m.t3);
    return out;
  }
  json operator()(const msg::ping&) const { return {{"type", "PING"}}; }
  json operator()(const msg::pong&) const { return {{"type", "PONG"}}; }
  json operator()(const msg::ack& m) const {
    json out = {{"type", "ACK"}};
    if (m.address) out["address"] = *m.address;
    if (m.revision) out["revision"] = u64(*m.revision);
    if (m.locked) out["locked"] = *m.locked;
    if (m.holder) out["holder"] = *m.holder;
    if (m.correlation_id) out["correlationId"] = *m.correlation_id;
    return out;
  }
  json operator()(const msg::error& m) const {
    json out = {{"type", "ERROR"}, {"code", m.code}, {"message", m.message}};
    if (m.address) out["address"] = *m.address;
    if (m.correlation_id) out["correlationId"] = *m.correlation_id;
    return out;
  }
  json operator()(const msg::query& m) const { return {{"type", "QUERY"}, {"pattern", m.pattern}}; }
  json operator()(const msg::result& m) const {
    json signals = json::array();
    for (const auto& s : m.signals) signals.push_back(signal_json(s, false));
    return {{"type", "RESULT"}, {"signals", signals}};
  }
};

}  // namespace

json js_number(double d) {
  if (std::isnan(d)) return {{"$f64", "NaN"}};
  if (std::isinf(d)) return {{"$f64", d > 0 ? "Infinity" : "-Infinity"}};
  if (d == 0 && std::signbit(d)) return {{"$f64", "-0"}};
  return d;
}

json js_value(const value& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, bool>) {
          return x;
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return js_number(static_cast<double>(x));  // Number(getBigInt64())
        } else if constexpr (std::is_same_v<T, double>) {
          return js_number(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, byte_string>) {
          return {{"$bytes", to_hex(x.data)}};
        } else if constexpr (std::is_same_v<T, value_array>) {
          json out = json::array();
          for (const auto& item : x) out.push_back(js_value(item));
          return out;
        } else {
          json out = json::object();
          for (const auto& [k, item] : x) out[k] = js_value(item);  // later keys win, as in JS
          return out;
        }
      },
      v.data);
}

json js_shape(const message& m) { return std::visit(shape_visitor{}, m.body); }

std::string to_hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0x0F]);
  }
  return out;
}

bool from_hex(const std::string& hex, std::string& out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out.clear();
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

}  // namespace clasp::interop
