// Frame and message decoding of untrusted bytes: never throws, never reads
// out of bounds, bounds nesting, and checks every count against the bytes left.
#include <cstdio>

#include "messages/codec.hpp"
#include "messages/detail/wire_reader.hpp"

namespace clasp::codec {
namespace {

using detail::wire_reader;

constexpr const char* legacy_reason = "unsupported encoding: legacy MessagePack";

bool is_msgpack_map_marker(std::uint8_t b) { return (b & 0xF0) == 0x80 || b == 0xDE || b == 0xDF; }

std::string hex(unsigned b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b & 0xFFu);
  return buf;
}

bool set_error(decode_error& err, std::uint16_t code, std::string reason) {
  err.code = code;
  err.reason = std::move(reason);
  return false;
}

// The decoders reuse what `out` already holds when the type matches, so a
// caller decoding into the same object repeatedly keeps its string capacity.
template <class T, class Variant>
T& reuse_as(Variant& v) {
  if (auto* p = std::get_if<T>(&v)) return *p;
  return v.template emplace<T>();
}

template <class T>
T& reuse_opt(std::optional<T>& o) {
  if (!o) o.emplace();
  return *o;
}

bool read_value_data(wire_reader& r, std::uint8_t type, value& out, std::size_t depth,
                     const char* field);

bool read_typed_value(wire_reader& r, value& out, std::size_t depth, const char* field) {
  std::uint8_t type;
  return r.u8(type, field) && read_value_data(r, type, out, depth, field);
}

bool read_value_data(wire_reader& r, std::uint8_t type, value& out, std::size_t depth,
                     const char* field) {
  auto& d = out.data;
  switch (static_cast<value_type>(type)) {
    case value_type::null:
      d.emplace<std::monostate>();
      return true;
    case value_type::boolean: {
      std::uint8_t b;
      if (!r.u8(b, field)) return false;
      d.emplace<bool>(b != 0);
      return true;
    }
    case value_type::i8: {
      std::uint8_t v;
      if (!r.u8(v, field)) return false;
      d.emplace<std::int64_t>(static_cast<std::int8_t>(v));
      return true;
    }
    case value_type::i16: {
      std::uint16_t v;
      if (!r.u16(v, field)) return false;
      d.emplace<std::int64_t>(static_cast<std::int16_t>(v));
      return true;
    }
    case value_type::i32: {
      std::uint32_t v;
      if (!r.u32(v, field)) return false;
      d.emplace<std::int64_t>(static_cast<std::int32_t>(v));
      return true;
    }
    case value_type::i64: {
      std::uint64_t v;
      if (!r.u64(v, field)) return false;
      d.emplace<std::int64_t>(static_cast<std::int64_t>(v));
      return true;
    }
    case value_type::f32: {
      float v;
      if (!r.f32(v, field)) return false;
      d.emplace<double>(v);
      return true;
    }
    case value_type::f64: {
      double v;
      if (!r.f64(v, field)) return false;
      d.emplace<double>(v);
      return true;
    }
    case value_type::string: {
      std::string_view s;
      if (!r.str_view(s, field)) return false;
      reuse_as<std::string>(d).assign(s.data(), s.size());
      return true;
    }
    case value_type::bytes: {
      std::string_view s;
      if (!r.str_view(s, field)) return false;
      reuse_as<byte_string>(d).data.assign(s.data(), s.size());
      return true;
    }
    case value_type::array: {
      if (depth >= max_nesting_depth) return r.fail("nesting deeper than 32", field);
      std::uint16_t count;
      if (!r.u16(count, field) || !r.count_fits(count, 1, field)) return false;
      auto& items = reuse_as<value_array>(d);
      items.resize(count);
      for (auto& item : items)
        if (!read_typed_value(r, item, depth + 1, field)) return false;
      return true;
    }
    case value_type::map: {
      if (depth >= max_nesting_depth) return r.fail("nesting deeper than 32", field);
      std::uint16_t count;
      if (!r.u16(count, field) || !r.count_fits(count, 3, field)) return false;
      auto& entries = reuse_as<value_map>(d);
      entries.resize(count);
      for (auto& [key, item] : entries)
        if (!r.str(key, field) || !read_typed_value(r, item, depth + 1, field)) return false;
      return true;
    }
  }
  return r.fail("unknown value type " + hex(type), field);
}

bool read_signal_type(wire_reader& r, std::uint8_t code, signal_type& out, const char* field) {
  if (code > static_cast<std::uint8_t>(signal_type::timeline))
    return r.fail("unknown signal type " + std::to_string(code), field);
  out = static_cast<signal_type>(code);
  return true;
}

bool read_signal(wire_reader& r, signal_definition& sig, bool with_meta, std::size_t depth) {
  std::uint8_t type, flags;
  if (!r.str(sig.address, "signal address") || !r.u8(type, "signal type") ||
      !read_signal_type(r, type, sig.type, "signal type") || !r.u8(flags, "signal flags"))
    return false;
  if ((flags & 0x01) && !r.str(reuse_opt(sig.datatype), "datatype")) return false;
  if ((flags & 0x02) && !r.str(reuse_opt(sig.access), "access")) return false;
  // RESULT entries have no meta; the bit is ignored there as the reference client does.
  if (!with_meta || !(flags & 0x04)) return true;
  auto& meta = reuse_opt(sig.meta);
  std::uint8_t mflags;
  if (!r.u8(mflags, "meta flags")) return false;
  if ((mflags & 0x01) && !r.str(reuse_opt(meta.unit), "meta unit")) return false;
  if (mflags & 0x02) {
    double lo, hi;
    if (!r.f64(lo, "meta range") || !r.f64(hi, "meta range")) return false;
    meta.range.emplace(lo, hi);
  }
  if ((mflags & 0x04) && !read_typed_value(r, reuse_opt(meta.default_value), depth, "meta default"))
    return false;
  if ((mflags & 0x08) && !r.str(reuse_opt(meta.description), "meta description")) return false;
  return true;
}

bool decode_at(std::string_view payload, message& out, decode_error& err, std::size_t depth);

bool read_hello(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::hello>();
  return r.u8(m.version, "version") && r.u8(m.features, "features") && r.str(m.name, "name") &&
         r.str(m.token, "token");
}

bool read_welcome(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::welcome>();
  return r.u8(m.version, "version") && r.u8(m.features, "features") &&
         r.u64(m.time_us, "server time") && r.str(m.session, "session") && r.str(m.name, "name") &&
         r.str(m.token, "token");
}

bool read_announce(wire_reader& r, message& out, std::size_t depth) {
  auto& m = out.body.emplace<msg::announce>();
  std::uint16_t count;
  if (!r.str(m.ns, "namespace") || !r.u16(count, "signal count") ||
      !r.count_fits(count, 4, "signal count"))
    return false;
  m.signals.resize(count);
  for (auto& sig : m.signals)
    if (!read_signal(r, sig, true, depth)) return false;
  return true;
}

bool read_federation_sync(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::federation_sync>();
  std::uint8_t op;
  if (!r.u8(op, "op")) return false;
  if (op < 1 || op > static_cast<std::uint8_t>(federation_op::sync_mark))
    return r.fail("unknown op " + std::to_string(op), "op");
  m.op = static_cast<federation_op>(op);
  std::uint16_t patterns;
  if (!r.u16(patterns, "pattern count") || !r.count_fits(patterns, 2, "pattern count"))
    return false;
  m.patterns.resize(patterns);
  for (auto& p : m.patterns)
    if (!r.str(p, "pattern")) return false;
  std::uint16_t revisions;
  if (!r.u16(revisions, "revision count") || !r.count_fits(revisions, 10, "revision count"))
    return false;
  m.revisions.resize(revisions);
  for (auto& [address, rev] : m.revisions)
    if (!r.str(address, "revision address") || !r.u64(rev, "revision")) return false;
  std::uint8_t flags;
  if (!r.u8(flags, "flags")) return false;
  if ((flags & 0x80) && !r.u64(reuse_opt(m.since_revision), "since revision")) return false;
  if ((flags & 0x40) && !r.str(reuse_opt(m.origin), "origin")) return false;
  return true;
}

bool read_subscribe(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::subscribe>();
  std::uint8_t flags;
  if (!r.u32(m.id, "id") || !r.str(m.pattern, "pattern") || !r.u8(m.types, "type mask") ||
      !r.u8(flags, "option flags"))
    return false;
  auto& o = m.options;
  if ((flags & 0x01) && !r.u32(reuse_opt(o.max_rate), "max rate")) return false;
  if ((flags & 0x02) && !r.f64(reuse_opt(o.epsilon), "epsilon")) return false;
  if ((flags & 0x04) && !r.u32(reuse_opt(o.history), "history")) return false;
  if ((flags & 0x08) && !r.u32(reuse_opt(o.window), "window")) return false;
  return true;
}

bool read_unsubscribe(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::unsubscribe>();
  return r.u32(m.id, "id");
}

// Hot path: reuses `out` and assigns every field.
bool read_publish(wire_reader& r, message& out, std::size_t depth) {
  auto& m = reuse_as<msg::publish>(out.body);
  std::uint8_t flags;
  if (!r.u8(flags, "flags")) return false;
  if (!read_signal_type(r, static_cast<std::uint8_t>(flags >> 5), m.signal, "flags")) return false;
  const std::uint8_t phase = flags & 0x07;
  if (phase > static_cast<std::uint8_t>(gesture_phase::cancel))
    return r.fail("unknown gesture phase " + std::to_string(phase), "flags");
  m.phase = static_cast<gesture_phase>(phase);
  std::uint8_t indicator;
  if (!r.str(m.address, "address") || !r.u8(indicator, "value indicator")) return false;
  switch (indicator) {
    case 0:
      m.val.reset();
      m.samples.reset();
      break;
    case 1:
      m.samples.reset();
      if (!read_typed_value(r, reuse_opt(m.val), depth, "value")) return false;
      break;
    case 2: {
      m.val.reset();
      std::uint16_t count;
      if (!r.u16(count, "sample count") || !r.count_fits(count, 8, "sample count")) return false;
      auto& samples = reuse_opt(m.samples);
      samples.resize(count);
      for (double& s : samples)
        if (!r.f64(s, "samples")) return false;
      break;
    }
    default:
      return r.fail("unknown value indicator " + std::to_string(indicator), "value indicator");
  }
  if (flags & 0x10) {
    if (!r.u64(reuse_opt(m.timestamp), "timestamp")) return false;
  } else {
    m.timestamp.reset();
  }
  if (flags & 0x08) {
    if (!r.u32(reuse_opt(m.gesture_id), "gesture id")) return false;
  } else {
    m.gesture_id.reset();
  }
  // Our event id (16 bytes) is there iff 16 or 20 bytes remain; the rate has
  // no flag: it is there iff at least 4 bytes remain after that.
  if (r.remaining() == 16 || r.remaining() == 20) {
    auto& id = reuse_opt(m.event);
    if (!r.u64(id.origin, "event origin") || !r.u64(id.seq, "event seq")) return false;
  } else {
    m.event.reset();
  }
  if (r.remaining() >= 4) {
    if (!r.u32(reuse_opt(m.rate), "rate")) return false;
  } else {
    m.rate.reset();
  }
  return true;
}

// Hot path: reuses `out` and assigns every field.
bool read_set(wire_reader& r, message& out, std::size_t depth) {
  auto& m = reuse_as<msg::set>(out.body);
  std::uint8_t flags;
  if (!r.u8(flags, "flags") || !r.str(m.address, "address") ||
      !read_value_data(r, flags & 0x0F, m.val, depth, "value"))
    return false;
  if (flags & 0x80) {
    if (!r.u64(reuse_opt(m.revision), "revision")) return false;
  } else {
    m.revision.reset();
  }
  m.lock = (flags & 0x40) != 0;
  m.unlock = (flags & 0x20) != 0;
  if (flags & 0x10) {
    std::uint32_t t;
    if (!r.u32(t, "ttl")) return false;
    m.ttl = ttl_spec{(t & 0x80000000u) != 0, t & 0x7FFFFFFFu};
  } else {
    m.ttl.reset();
  }
  return true;
}

bool read_get(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::get>();
  return r.str(m.address, "address");
}

bool read_snapshot(wire_reader& r, message& out, std::size_t depth) {
  auto& m = out.body.emplace<msg::snapshot>();
  std::uint16_t count;
  // Smallest entry: empty address (2), null value (1), revision (8), flags (1).
  if (!r.u16(count, "param count") || !r.count_fits(count, 12, "param count")) return false;
  m.params.resize(count);
  for (auto& p : m.params) {
    std::uint8_t flags;
    if (!r.str(p.address, "param address") || !read_typed_value(r, p.val, depth, "param value") ||
        !r.u64(p.revision, "param revision") || !r.u8(flags, "param flags"))
      return false;
    if ((flags & 0x01) && !r.str(reuse_opt(p.writer), "param writer")) return false;
    if ((flags & 0x02) && !r.u64(reuse_opt(p.timestamp), "param timestamp")) return false;
  }
  return true;
}

bool read_replay(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::replay>();
  std::uint8_t flags;
  if (!r.u8(flags, "flags") || !r.str(m.pattern, "pattern")) return false;
  if ((flags & 0x80) && !r.u64(reuse_opt(m.from), "from")) return false;
  if ((flags & 0x40) && !r.u64(reuse_opt(m.to), "to")) return false;
  if ((flags & 0x20) && !r.u32(reuse_opt(m.limit), "limit")) return false;
  return r.u8(m.types, "type mask");
}

bool read_bundle(wire_reader& r, message& out, std::size_t depth) {
  auto& m = out.body.emplace<msg::bundle>();
  std::uint8_t flags;
  std::uint16_t count;
  // Smallest inner message: length (2) + type byte (1).
  if (!r.u8(flags, "flags") || !r.u16(count, "message count") ||
      !r.count_fits(count, 3, "message count"))
    return false;
  if ((flags & 0x80) && !r.u64(reuse_opt(m.timestamp), "timestamp")) return false;
  if (count > 0 && depth >= max_nesting_depth) return r.fail("nesting deeper than 32", "messages");
  m.messages.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint16_t len;
    std::string_view inner;
    if (!r.u16(len, "message length") || !r.raw(len, inner, "message")) return false;
    if (!decode_at(inner, m.messages[i], r.error(), depth + 1)) {
      auto& err = r.error();
      err.reason = "BUNDLE: message " + std::to_string(i) + ": " + err.reason;
      return false;
    }
  }
  return true;
}

bool read_sync(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::sync>();
  std::uint8_t flags;
  if (!r.u8(flags, "flags") || !r.u64(m.t1, "t1")) return false;
  if ((flags & 0x01) && !r.u64(reuse_opt(m.t2), "t2")) return false;
  if ((flags & 0x02) && !r.u64(reuse_opt(m.t3), "t3")) return false;
  return true;
}

bool read_ack(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::ack>();
  std::uint8_t flags;
  if (!r.u8(flags, "flags")) return false;
  if ((flags & 0x01) && !r.str(reuse_opt(m.address), "address")) return false;
  if ((flags & 0x02) && !r.u64(reuse_opt(m.revision), "revision")) return false;
  if (flags & 0x04) {
    std::uint8_t locked;
    if (!r.u8(locked, "locked")) return false;
    m.locked = locked != 0;
  }
  if ((flags & 0x08) && !r.str(reuse_opt(m.holder), "holder")) return false;
  if ((flags & 0x10) && !r.u32(reuse_opt(m.correlation_id), "correlation id")) return false;
  return true;
}

bool read_error(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::error>();
  std::uint8_t flags;
  if (!r.u16(m.code, "code") || !r.str(m.message, "message") || !r.u8(flags, "flags")) return false;
  if ((flags & 0x01) && !r.str(reuse_opt(m.address), "address")) return false;
  if ((flags & 0x02) && !r.u32(reuse_opt(m.correlation_id), "correlation id")) return false;
  return true;
}

bool read_query(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::query>();
  return r.str(m.pattern, "pattern");
}

bool read_result(wire_reader& r, message& out) {
  auto& m = out.body.emplace<msg::result>();
  std::uint16_t count;
  if (!r.u16(count, "signal count") || !r.count_fits(count, 4, "signal count")) return false;
  m.signals.resize(count);
  for (auto& sig : m.signals)
    if (!read_signal(r, sig, false, 0)) return false;
  return true;
}

// Wire name of a known type code, or nullptr.
const char* known_type_name(std::uint8_t code) {
  switch (code) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04:
    case 0x10:
    case 0x11:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x30:
    case 0x40:
    case 0x41:
    case 0x42:
    case 0x50:
    case 0x51:
    case 0x60:
    case 0x61:
      return to_string(static_cast<message_type>(code));
    default:
      return nullptr;
  }
}

// Trailing bytes after a complete message are ignored (lenient, like the
// reference client); only PUBLISH gives them a meaning (the rate).
bool decode_at(std::string_view payload, message& out, decode_error& err, std::size_t depth) {
  if (payload.empty()) return set_error(err, error_code::invalid_message, "empty payload");
  const auto code = static_cast<std::uint8_t>(payload[0]);
  if (is_msgpack_map_marker(code))
    return set_error(err, error_code::unsupported_version, legacy_reason);
  const char* name = known_type_name(code);
  if (!name)
    return set_error(err, error_code::invalid_message, "unknown message type " + hex(code));
  wire_reader r(payload.substr(1), name, err);
  switch (static_cast<message_type>(code)) {
    case message_type::hello:
      return read_hello(r, out);
    case message_type::welcome:
      return read_welcome(r, out);
    case message_type::announce:
      return read_announce(r, out, depth);
    case message_type::federation_sync:
      return read_federation_sync(r, out);
    case message_type::subscribe:
      return read_subscribe(r, out);
    case message_type::unsubscribe:
      return read_unsubscribe(r, out);
    case message_type::publish:
      return read_publish(r, out, depth);
    case message_type::set:
      return read_set(r, out, depth);
    case message_type::get:
      return read_get(r, out);
    case message_type::snapshot:
      return read_snapshot(r, out, depth);
    case message_type::replay:
      return read_replay(r, out);
    case message_type::bundle:
      return read_bundle(r, out, depth);
    case message_type::sync:
      return read_sync(r, out);
    case message_type::ping:
      out.body.emplace<msg::ping>();
      return true;
    case message_type::pong:
      out.body.emplace<msg::pong>();
      return true;
    case message_type::ack:
      return read_ack(r, out);
    case message_type::error:
      return read_error(r, out);
    case message_type::query:
      return read_query(r, out);
    case message_type::result:
      return read_result(r, out);
  }
  return set_error(err, error_code::invalid_message, "unknown message type " + hex(code));
}

}  // namespace

bool decode_header(std::string_view bytes, frame_header& out, std::string_view& payload,
                   decode_error& err) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < header_size)
    return set_error(err, error_code::invalid_frame,
                     "frame: " + std::to_string(bytes.size()) + " bytes, shorter than the header");
  if (b[0] != magic)
    return set_error(err, error_code::invalid_frame, "frame: bad magic " + hex(b[0]));
  const std::uint8_t flags = b[1];
  const bool has_timestamp = (flags & 0x20) != 0;
  const std::size_t header = has_timestamp ? header_size_with_timestamp : header_size;
  if (bytes.size() < header)
    return set_error(err, error_code::invalid_frame, "frame: truncated timestamp");
  const std::size_t declared = (std::size_t{b[2]} << 8) | b[3];
  const std::size_t actual = bytes.size() - header;
  if (actual < declared)
    return set_error(err, error_code::invalid_frame,
                     "frame: payload truncated (declared " + std::to_string(declared) +
                         " bytes, got " + std::to_string(actual) + ")");
  if (actual > declared)
    return set_error(err, error_code::invalid_frame,
                     "frame: " + std::to_string(actual - declared) +
                         " bytes after the declared payload length " + std::to_string(declared));
  const unsigned q = flags >> 6;
  if (q > static_cast<unsigned>(qos::commit))
    return set_error(err, error_code::invalid_frame, "frame: invalid QoS 3");
  out.quality = static_cast<qos>(q);
  out.encrypted = (flags & 0x10) != 0;
  out.compressed = (flags & 0x08) != 0;
  out.version = flags & 0x07;
  out.timestamp.reset();
  if (has_timestamp) {
    std::uint64_t ts = 0;
    for (std::size_t i = 4; i < 12; ++i) ts = (ts << 8) | b[i];
    out.timestamp = ts;
  }
  if (out.version == 0) return set_error(err, error_code::unsupported_version, legacy_reason);
  if (out.version != 1)
    return set_error(err, error_code::unsupported_version,
                     "unsupported encoding version " + std::to_string(out.version));
  if (out.encrypted)
    return set_error(err, error_code::unsupported_version, "unsupported: encrypted frame");
  if (out.compressed)
    return set_error(err, error_code::unsupported_version, "unsupported: compressed frame");
  payload = bytes.substr(header);
  return true;
}

bool decode_message(std::string_view payload, message& out, decode_error& err) {
  return decode_at(payload, out, err, 0);
}

bool decode_frame(std::string_view bytes, decoded_frame& out, decode_error& err) {
  std::string_view payload;
  return decode_header(bytes, out.header, payload, err) && decode_message(payload, out.msg, err);
}

}  // namespace clasp::codec
