// Message encoding (byte layouts of PROTOCOL.md and @clasp-to/core), the
// frame header, and the QoS the reference client picks per message.
#include <cstdio>
#include <cstdlib>

#include "messages/codec.hpp"
#include "messages/detail/encoded_sizes.hpp"
#include "messages/detail/wire_writer.hpp"

namespace clasp::codec {
namespace {

using detail::size_sink;
using detail::write_sink;

std::uint8_t code(value_type t) { return static_cast<std::uint8_t>(t); }
std::uint8_t code(signal_type t) { return static_cast<std::uint8_t>(t); }

template <class S>
void put_value_data(S& s, const value& v);

template <class S>
struct value_data_writer {
  S& s;
  void operator()(std::monostate) const {}
  void operator()(bool b) const { s.u8(b ? 1 : 0); }
  void operator()(std::int64_t i) const { s.u64(static_cast<std::uint64_t>(i)); }
  void operator()(double d) const { s.f64(d); }
  void operator()(const std::string& str) const { s.str(str); }
  void operator()(const byte_string& b) const { s.str(b.data); }
  void operator()(const value_array& a) const {
    s.u16(static_cast<std::uint16_t>(a.size()));
    for (const auto& item : a) {
      s.u8(code(item.wire_type()));
      put_value_data(s, item);
    }
  }
  void operator()(const value_map& m) const {
    s.u16(static_cast<std::uint16_t>(m.size()));
    for (const auto& [key, item] : m) {
      s.str(key);
      s.u8(code(item.wire_type()));
      put_value_data(s, item);
    }
  }
};

template <class S>
void put_value_data(S& s, const value& v) {
  // The hot path (a number) skips std::visit.
  if (auto* d = std::get_if<double>(&v.data)) return s.f64(*d);
  std::visit(value_data_writer<S>{s}, v.data);
}

template <class S>
void put_typed_value(S& s, const value& v) {
  s.u8(code(v.wire_type()));
  put_value_data(s, v);
}

template <class S>
void put_message(S& s, const message& m);
template <class S>
void put_param(S& s, const param_entry& p);

template <class S>
void put_publish(S& s, const msg::publish& m, const std::optional<event_id>& event) {
  s.u8(0x20);
  std::uint8_t flags = static_cast<std::uint8_t>((code(m.signal) & 0x07) << 5);
  if (m.timestamp) flags |= 0x10;
  if (m.gesture_id) flags |= 0x08;
  flags |= static_cast<std::uint8_t>(m.phase) & 0x07;
  s.u8(flags);
  s.str(m.address);
  // Like the reference client, a value wins over samples if both are set.
  if (m.val) {
    s.u8(1);
    put_typed_value(s, *m.val);
  } else if (m.samples) {
    s.u8(2);
    s.u16(static_cast<std::uint16_t>(m.samples->size()));
    for (double d : *m.samples) s.f64(d);
  } else {
    s.u8(0);
  }
  if (m.timestamp) s.u64(*m.timestamp);
  if (m.gesture_id) s.u32(*m.gesture_id);
  if (event) {
    s.u64(event->origin);
    s.u64(event->seq);
  }
  if (m.rate) s.u32(*m.rate);
}

template <class S>
struct message_writer {
  S& s;

  void operator()(const msg::hello& m) const {
    s.u8(0x01);
    s.u8(m.version);
    s.u8(m.features);
    s.str(m.name);
    s.str(m.token);
  }
  void operator()(const msg::welcome& m) const {
    s.u8(0x02);
    s.u8(m.version);
    s.u8(m.features);
    s.u64(m.time_us);
    s.str(m.session);
    s.str(m.name);
    s.str(m.token);
  }
  void operator()(const msg::announce& m) const {
    s.u8(0x03);
    s.str(m.ns);
    s.u16(static_cast<std::uint16_t>(m.signals.size()));
    for (const auto& sig : m.signals) put_signal(sig, true);
  }
  void operator()(const msg::federation_sync& m) const {
    s.u8(0x04);
    s.u8(static_cast<std::uint8_t>(m.op));
    s.u16(static_cast<std::uint16_t>(m.patterns.size()));
    for (const auto& p : m.patterns) s.str(p);
    s.u16(static_cast<std::uint16_t>(m.revisions.size()));
    for (const auto& [address, rev] : m.revisions) {
      s.str(address);
      s.u64(rev);
    }
    std::uint8_t flags = 0;
    if (m.since_revision) flags |= 0x80;
    if (m.origin) flags |= 0x40;
    s.u8(flags);
    if (m.since_revision) s.u64(*m.since_revision);
    if (m.origin) s.str(*m.origin);
  }
  void operator()(const msg::subscribe& m) const {
    s.u8(0x10);
    s.u32(m.id);
    s.str(m.pattern);
    s.u8(m.types);
    const auto& o = m.options;
    std::uint8_t flags = 0;
    if (o.max_rate) flags |= 0x01;
    if (o.epsilon) flags |= 0x02;
    if (o.history) flags |= 0x04;
    if (o.window) flags |= 0x08;
    s.u8(flags);
    if (o.max_rate) s.u32(*o.max_rate);
    if (o.epsilon) s.f64(*o.epsilon);
    if (o.history) s.u32(*o.history);
    if (o.window) s.u32(*o.window);
  }
  void operator()(const msg::unsubscribe& m) const {
    s.u8(0x11);
    s.u32(m.id);
  }
  void operator()(const msg::publish& m) const { put_publish(s, m, m.event); }
  void operator()(const msg::set& m) const {
    s.u8(0x21);
    std::uint8_t flags = code(m.val.wire_type()) & 0x0F;
    if (m.revision) flags |= 0x80;
    if (m.lock) flags |= 0x40;
    if (m.unlock) flags |= 0x20;
    if (m.ttl) flags |= 0x10;
    s.u8(flags);
    s.str(m.address);
    put_value_data(s, m.val);
    if (m.revision) s.u64(*m.revision);
    if (m.ttl) {
      std::uint32_t t = m.ttl->seconds & 0x7FFFFFFFu;
      if (m.ttl->absolute) t |= 0x80000000u;
      s.u32(t);
    }
  }
  void operator()(const msg::get& m) const {
    s.u8(0x22);
    s.str(m.address);
  }
  void operator()(const msg::snapshot& m) const {
    s.u8(0x23);
    s.u16(static_cast<std::uint16_t>(m.params.size()));
    for (const auto& p : m.params) put_param(s, p);
  }
  void operator()(const msg::replay& m) const {
    s.u8(0x24);
    std::uint8_t flags = 0;
    if (m.from) flags |= 0x80;
    if (m.to) flags |= 0x40;
    if (m.limit) flags |= 0x20;
    s.u8(flags);
    s.str(m.pattern);
    if (m.from) s.u64(*m.from);
    if (m.to) s.u64(*m.to);
    if (m.limit) s.u32(*m.limit);
    s.u8(m.types);
  }
  void operator()(const msg::bundle& m) const {
    s.u8(0x30);
    s.u8(m.timestamp ? 0x80 : 0x00);
    s.u16(static_cast<std::uint16_t>(m.messages.size()));
    if (m.timestamp) s.u64(*m.timestamp);
    for (const auto& inner : m.messages) s.length_prefixed([&] { put_message(s, inner); });
  }
  void operator()(const msg::sync& m) const {
    s.u8(0x40);
    std::uint8_t flags = 0;
    if (m.t2) flags |= 0x01;
    if (m.t3) flags |= 0x02;
    s.u8(flags);
    s.u64(m.t1);
    if (m.t2) s.u64(*m.t2);
    if (m.t3) s.u64(*m.t3);
  }
  void operator()(const msg::ping&) const { s.u8(0x41); }
  void operator()(const msg::pong&) const { s.u8(0x42); }
  void operator()(const msg::ack& m) const {
    s.u8(0x50);
    std::uint8_t flags = 0;
    if (m.address) flags |= 0x01;
    if (m.revision) flags |= 0x02;
    if (m.locked) flags |= 0x04;
    if (m.holder) flags |= 0x08;
    if (m.correlation_id) flags |= 0x10;
    s.u8(flags);
    if (m.address) s.str(*m.address);
    if (m.revision) s.u64(*m.revision);
    if (m.locked) s.u8(*m.locked ? 1 : 0);
    if (m.holder) s.str(*m.holder);
    if (m.correlation_id) s.u32(*m.correlation_id);
  }
  void operator()(const msg::error& m) const {
    s.u8(0x51);
    s.u16(m.code);
    s.str(m.message);
    std::uint8_t flags = 0;
    if (m.address) flags |= 0x01;
    if (m.correlation_id) flags |= 0x02;
    s.u8(flags);
    if (m.address) s.str(*m.address);
    if (m.correlation_id) s.u32(*m.correlation_id);
  }
  void operator()(const msg::query& m) const {
    s.u8(0x60);
    s.str(m.pattern);
  }
  void operator()(const msg::result& m) const {
    s.u8(0x61);
    s.u16(static_cast<std::uint16_t>(m.signals.size()));
    for (const auto& sig : m.signals) put_signal(sig, false);
  }

  // ANNOUNCE carries meta (flag 0x04); RESULT never does.
  void put_signal(const signal_definition& sig, bool with_meta) const {
    s.str(sig.address);
    s.u8(code(sig.type));
    const bool meta = with_meta && sig.meta.has_value();
    std::uint8_t flags = 0;
    if (sig.datatype) flags |= 0x01;
    if (sig.access) flags |= 0x02;
    if (meta) flags |= 0x04;
    s.u8(flags);
    if (sig.datatype) s.str(*sig.datatype);
    if (sig.access) s.str(*sig.access);
    if (!meta) return;
    const auto& mt = *sig.meta;
    std::uint8_t mflags = 0;
    if (mt.unit) mflags |= 0x01;
    if (mt.range) mflags |= 0x02;
    if (mt.default_value) mflags |= 0x04;
    if (mt.description) mflags |= 0x08;
    s.u8(mflags);
    if (mt.unit) s.str(*mt.unit);
    if (mt.range) {
      s.f64(mt.range->first);
      s.f64(mt.range->second);
    }
    if (mt.default_value) put_typed_value(s, *mt.default_value);
    if (mt.description) s.str(*mt.description);
  }
};

template <class S>
void put_param(S& s, const param_entry& p) {
  s.str(p.address);
  put_typed_value(s, p.val);
  s.u64(p.revision);
  std::uint8_t flags = 0;
  if (p.writer) flags |= 0x01;
  if (p.timestamp) flags |= 0x02;
  s.u8(flags);
  if (p.writer) s.str(*p.writer);
  if (p.timestamp) s.u64(*p.timestamp);
}

template <class S>
void put_message(S& s, const message& m) {
  std::visit(message_writer<S>{s}, m.body);
}

// Sizing and writing share one code path; if they ever disagree the buffer
// was overrun, and continuing would be worse than stopping.
void check_written(const char* end, const char* expected) {
  if (end != expected) {
    std::fprintf(stderr, "clasp codec: encoded_size mismatch\n");
    std::abort();
  }
}

}  // namespace

namespace detail {
std::size_t param_entry_size(const param_entry& p) {
  size_sink s;
  put_param(s, p);
  return s.size();
}
}  // namespace detail

std::size_t encoded_size(const message& m) {
  size_sink s;
  put_message(s, m);
  return s.size();
}

void encode_message(const message& m, std::string& out) {
  const std::size_t n = encoded_size(m);
  const std::size_t start = out.size();
  out.resize(start + n);
  write_sink w(out.data() + start);
  put_message(w, m);
  check_written(w.position(), out.data() + out.size());
}

namespace {
// Appends room for a frame with an `n`-byte payload to `out`, writes its
// header and returns a writer positioned at the payload.
write_sink start_frame(const encode_options& opts, std::size_t n, std::string& out) {
  const std::size_t header = opts.timestamp ? header_size_with_timestamp : header_size;
  const std::size_t start = out.size();
  out.resize(start + header + n);
  write_sink w(out.data() + start);
  w.u8(magic);
  std::uint8_t flags = static_cast<std::uint8_t>((static_cast<unsigned>(opts.quality) & 0x03) << 6);
  if (opts.timestamp) flags |= 0x20;
  flags |= 0x01;  // binary encoding
  w.u8(flags);
  w.u16(static_cast<std::uint16_t>(n));
  if (opts.timestamp) w.u64(*opts.timestamp);
  return w;
}
}  // namespace

bool encode_frame(const message& m, const encode_options& opts, std::string& out,
                  std::string* why) {
  const std::size_t n = encoded_size(m);
  if (n > max_payload) {
    if (why)
      *why = std::string(to_string(m.type())) + " payload of " + std::to_string(n) +
             " bytes exceeds the 65535-byte frame limit";
    return false;
  }
  auto w = start_frame(opts, n, out);
  put_message(w, m);
  check_written(w.position(), out.data() + out.size());
  return true;
}

namespace {
// A SET built from its parts, for the router's fan-out: no message is built.
template <class S>
void put_set_parts(S& s, std::string_view address, const value& v, std::optional<revision_t> rev) {
  s.u8(0x21);
  std::uint8_t flags = code(v.wire_type()) & 0x0F;
  if (rev) flags |= 0x80;
  s.u8(flags);
  s.str(address);
  put_value_data(s, v);
  if (rev) s.u64(*rev);
}
}  // namespace

bool encode_set_frame(std::string_view address, const value& v, std::optional<revision_t> revision,
                      const encode_options& opts, std::string& out) {
  size_sink size;
  put_set_parts(size, address, v, revision);
  const std::size_t n = size.size();
  if (n > max_payload) return false;
  auto w = start_frame(opts, n, out);
  put_set_parts(w, address, v, revision);
  check_written(w.position(), out.data() + out.size());
  return true;
}

bool encode_publish_frame(const msg::publish& m, const std::optional<event_id>& event,
                          const encode_options& opts, std::string& out) {
  size_sink size;
  put_publish(size, m, event);
  const std::size_t n = size.size();
  if (n > max_payload) return false;
  auto w = start_frame(opts, n, out);
  put_publish(w, m, event);
  check_written(w.position(), out.data() + out.size());
  return true;
}

std::optional<std::string> encode_frame(const message& m, const encode_options& opts) {
  std::string out;
  if (!encode_frame(m, opts, out)) return std::nullopt;
  return out;
}

qos default_qos(const message& m) {
  switch (m.type()) {
    case message_type::set:
    case message_type::subscribe:
    case message_type::unsubscribe:
      return qos::confirm;
    case message_type::publish: {
      auto sig = m.as<msg::publish>().signal;
      return sig == signal_type::stream || sig == signal_type::gesture ? qos::fire : qos::confirm;
    }
    case message_type::bundle:
      return qos::commit;
    default:
      return qos::fire;
  }
}

}  // namespace clasp::codec
