// One struct per CLASP message type (PROTOCOL.md "Messages"), plus the
// `message` sum type the codec decodes into and encodes from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "messages/value.hpp"

namespace clasp {

using revision_t = std::uint64_t;

// Feature bits in HELLO/WELCOME.
namespace feature {
constexpr std::uint8_t param = 0x80;
constexpr std::uint8_t event = 0x40;
constexpr std::uint8_t stream = 0x20;
constexpr std::uint8_t gesture = 0x10;
constexpr std::uint8_t timeline = 0x08;
constexpr std::uint8_t federation = 0x04;
}  // namespace feature

enum class signal_type : std::uint8_t { param = 0, event = 1, stream = 2, gesture = 3, timeline = 4 };
enum class gesture_phase : std::uint8_t { start = 0, move = 1, end = 2, cancel = 3 };

// Subscription type-mask bits (SUBSCRIBE, REPLAY).
namespace type_mask {
constexpr std::uint8_t all = 0xFF;
constexpr std::uint8_t param = 0x01;
constexpr std::uint8_t event = 0x02;
constexpr std::uint8_t stream = 0x04;
constexpr std::uint8_t gesture = 0x08;
constexpr std::uint8_t timeline = 0x10;
}  // namespace type_mask
// The mask bit a signal type is filtered by.
constexpr std::uint8_t mask_bit(signal_type t) {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(t));
}

enum class federation_op : std::uint8_t {
  declare_namespaces = 1,
  request_sync = 2,
  revision_vector = 3,
  sync_complete = 4,
  // Ours, between our own routers only (after both declared the capability):
  // one owner's namespaces and the path to it (see actors/federation/route_wire.hpp).
  route_advert = 5,
  // Ours, between our own routers only: "every change of mine up to change seq
  // since_revision under these patterns has been sent on this link" (see
  // actors/router/router_core_sync_marks.cpp).
  sync_mark = 6,
};

// CLASP error codes (PROTOCOL.md "Error codes").
namespace error_code {
constexpr std::uint16_t invalid_frame = 100;
constexpr std::uint16_t invalid_message = 101;
constexpr std::uint16_t unsupported_version = 102;
constexpr std::uint16_t invalid_address = 200;
constexpr std::uint16_t address_not_found = 201;
constexpr std::uint16_t pattern_error = 202;
constexpr std::uint16_t unauthorized = 300;
constexpr std::uint16_t forbidden = 301;
constexpr std::uint16_t token_expired = 302;
constexpr std::uint16_t bad_request = 400;  // also "revision conflict"
constexpr std::uint16_t lock_held = 401;
constexpr std::uint16_t invalid_value = 402;
constexpr std::uint16_t federation_refused = 403;
constexpr std::uint16_t too_many_subscriptions = 429;
constexpr std::uint16_t internal = 500;
constexpr std::uint16_t unavailable = 501;
constexpr std::uint16_t timeout = 502;
}  // namespace error_code

// TTL of a SET: 0 = never, bit 31 = absolute (seconds since epoch), else sliding seconds.
struct ttl_spec {
  bool absolute = false;
  std::uint32_t seconds = 0;  // 0 with absolute=false means "never expires"
  friend bool operator==(const ttl_spec& a, const ttl_spec& b) {
    return a.absolute == b.absolute && a.seconds == b.seconds;
  }
};

struct signal_meta {
  std::optional<std::string> unit;
  std::optional<std::pair<double, double>> range;
  std::optional<value> default_value;
  std::optional<std::string> description;
  friend bool operator==(const signal_meta& a, const signal_meta& b) {
    return a.unit == b.unit && a.range == b.range && a.default_value == b.default_value &&
           a.description == b.description;
  }
};

struct signal_definition {
  std::string address;
  signal_type type = signal_type::param;
  std::optional<std::string> datatype;
  std::optional<std::string> access;
  std::optional<signal_meta> meta;  // ANNOUNCE only; RESULT has no meta
  friend bool operator==(const signal_definition& a, const signal_definition& b) {
    return a.address == b.address && a.type == b.type && a.datatype == b.datatype &&
           a.access == b.access && a.meta == b.meta;
  }
};

struct param_entry {
  std::string address;
  value val;
  revision_t revision = 0;
  std::optional<std::string> writer;
  std::optional<std::uint64_t> timestamp;
  friend bool operator==(const param_entry& a, const param_entry& b) {
    return a.address == b.address && a.val == b.val && a.revision == b.revision &&
           a.writer == b.writer && a.timestamp == b.timestamp;
  }
};

struct subscribe_options {
  std::optional<std::uint32_t> max_rate;
  std::optional<double> epsilon;
  std::optional<std::uint32_t> history;
  std::optional<std::uint32_t> window;
  friend bool operator==(const subscribe_options& a, const subscribe_options& b) {
    return a.max_rate == b.max_rate && a.epsilon == b.epsilon && a.history == b.history &&
           a.window == b.window;
  }
};

// Ours, between our own routers only (see actors/router/event_window.hpp):
// which router run first took an event from a client (`origin`, its
// incarnation) and that run's count of events so far (`seq`).
struct event_id {
  std::uint64_t origin = 0;
  std::uint64_t seq = 0;
  bool operator==(const event_id& o) const { return origin == o.origin && seq == o.seq; }
};

struct message;

namespace msg {

struct hello {
  std::uint8_t version = 1;
  std::uint8_t features = 0;  // feature bits
  std::string name;
  std::string token;  // empty = none
  bool operator==(const hello& o) const {
    return version == o.version && features == o.features && name == o.name && token == o.token;
  }
};

struct welcome {
  std::uint8_t version = 1;
  std::uint8_t features = 0;
  std::uint64_t time_us = 0;
  std::string session;
  std::string name;
  std::string token;
  bool operator==(const welcome& o) const {
    return version == o.version && features == o.features && time_us == o.time_us &&
           session == o.session && name == o.name && token == o.token;
  }
};

struct announce {
  std::string ns;  // "namespace" on the wire
  std::vector<signal_definition> signals;
  bool operator==(const announce& o) const { return ns == o.ns && signals == o.signals; }
};

struct federation_sync {
  federation_op op = federation_op::declare_namespaces;
  std::vector<std::string> patterns;
  std::vector<std::pair<std::string, revision_t>> revisions;  // wire order kept
  std::optional<std::uint64_t> since_revision;
  std::optional<std::string> origin;
  bool operator==(const federation_sync& o) const {
    return op == o.op && patterns == o.patterns && revisions == o.revisions &&
           since_revision == o.since_revision && origin == o.origin;
  }
};

struct subscribe {
  std::uint32_t id = 0;
  std::string pattern;
  std::uint8_t types = type_mask::all;
  subscribe_options options;
  bool operator==(const subscribe& o) const {
    return id == o.id && pattern == o.pattern && types == o.types && options == o.options;
  }
};

struct unsubscribe {
  std::uint32_t id = 0;
  bool operator==(const unsubscribe& o) const { return id == o.id; }
};

// PUBLISH payload: nothing, one value, or f64 samples (value indicator 0/1/2).
struct publish {
  signal_type signal = signal_type::event;
  gesture_phase phase = gesture_phase::start;
  std::string address;
  std::optional<value> val;                   // indicator 1
  std::optional<std::vector<double>> samples;  // indicator 2
  std::optional<std::uint64_t> timestamp;
  std::optional<std::uint32_t> gesture_id;
  std::optional<std::uint32_t> rate;
  // Between our routers that declared event ids: 16 bytes (origin u64, seq
  // u64) after the gesture id and before the rate. A PUBLISH otherwise ends
  // with 0 or 4 bytes left at that point, so 16 or 20 tell it apart.
  std::optional<event_id> event;
  bool operator==(const publish& o) const {
    return signal == o.signal && phase == o.phase && address == o.address && val == o.val &&
           samples == o.samples && timestamp == o.timestamp && gesture_id == o.gesture_id &&
           rate == o.rate && event == o.event;
  }
};

struct set {
  std::string address;
  value val;
  std::optional<revision_t> revision;
  bool lock = false;
  bool unlock = false;
  std::optional<ttl_spec> ttl;
  bool operator==(const set& o) const {
    return address == o.address && val == o.val && revision == o.revision && lock == o.lock &&
           unlock == o.unlock && ttl == o.ttl;
  }
};

struct get {
  std::string address;
  bool operator==(const get& o) const { return address == o.address; }
};

struct snapshot {
  std::vector<param_entry> params;
  bool operator==(const snapshot& o) const { return params == o.params; }
};

struct replay {
  std::string pattern;
  std::optional<std::uint64_t> from;
  std::optional<std::uint64_t> to;
  std::optional<std::uint32_t> limit;
  std::uint8_t types = type_mask::all;
  bool operator==(const replay& o) const {
    return pattern == o.pattern && from == o.from && to == o.to && limit == o.limit &&
           types == o.types;
  }
};

struct bundle {
  std::optional<std::uint64_t> timestamp;
  std::vector<message> messages;
  bool operator==(const bundle& o) const;
};

struct sync {
  std::uint64_t t1 = 0;
  std::optional<std::uint64_t> t2;
  std::optional<std::uint64_t> t3;
  bool operator==(const sync& o) const { return t1 == o.t1 && t2 == o.t2 && t3 == o.t3; }
};

struct ping {
  bool operator==(const ping&) const { return true; }
};
struct pong {
  bool operator==(const pong&) const { return true; }
};

struct ack {
  std::optional<std::string> address;
  std::optional<revision_t> revision;
  std::optional<bool> locked;
  std::optional<std::string> holder;
  std::optional<std::uint32_t> correlation_id;
  bool operator==(const ack& o) const {
    return address == o.address && revision == o.revision && locked == o.locked &&
           holder == o.holder && correlation_id == o.correlation_id;
  }
};

struct error {
  std::uint16_t code = 0;
  std::string message;
  std::optional<std::string> address;
  std::optional<std::uint32_t> correlation_id;
  bool operator==(const error& o) const {
    return code == o.code && message == o.message && address == o.address &&
           correlation_id == o.correlation_id;
  }
};

struct query {
  std::string pattern;
  bool operator==(const query& o) const { return pattern == o.pattern; }
};

struct result {
  std::vector<signal_definition> signals;
  bool operator==(const result& o) const { return signals == o.signals; }
};

}  // namespace msg

// Message type codes (first payload byte).
enum class message_type : std::uint8_t {
  hello = 0x01,
  welcome = 0x02,
  announce = 0x03,
  federation_sync = 0x04,
  subscribe = 0x10,
  unsubscribe = 0x11,
  publish = 0x20,
  set = 0x21,
  get = 0x22,
  snapshot = 0x23,
  replay = 0x24,
  bundle = 0x30,
  sync = 0x40,
  ping = 0x41,
  pong = 0x42,
  ack = 0x50,
  error = 0x51,
  query = 0x60,
  result = 0x61,
};

struct message {
  using variant_type =
      std::variant<msg::hello, msg::welcome, msg::announce, msg::federation_sync, msg::subscribe,
                   msg::unsubscribe, msg::publish, msg::set, msg::get, msg::snapshot, msg::replay,
                   msg::bundle, msg::sync, msg::ping, msg::pong, msg::ack, msg::error, msg::query,
                   msg::result>;
  variant_type body;

  message() = default;
  template <class T, class = std::enable_if_t<!std::is_same_v<std::decay_t<T>, message>>>
  message(T&& m) : body(std::forward<T>(m)) {}

  message_type type() const;
  template <class T>
  bool is() const {
    return std::holds_alternative<T>(body);
  }
  template <class T>
  const T& as() const {
    return std::get<T>(body);
  }
  template <class T>
  T& as() {
    return std::get<T>(body);
  }
  friend bool operator==(const message& a, const message& b) { return a.body == b.body; }
  friend bool operator!=(const message& a, const message& b) { return !(a == b); }
};

inline bool msg::bundle::operator==(const bundle& o) const {
  return timestamp == o.timestamp && messages == o.messages;
}

// Upper-case wire name ("SET", "FEDERATION_SYNC") for logs and errors.
const char* to_string(message_type t);

}  // namespace clasp
