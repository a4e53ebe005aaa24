// C++ -> JS golden frames: encodes messages with our codec and prints
// [{name, hex, frame, expect}] where `expect` is the object @clasp-to/core's
// decoder must return (hand-written, in the shape of tests/interop/lib/normalize.js).
// golden_decode.js runs this program and checks every frame with the JS client.
// Not covered: FEDERATION_SYNC and REPLAY, which @clasp-to/core 3.3.2 cannot decode.
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/codec.hpp"
#include "tests/interop/js_shape.hpp"

namespace {

using nlohmann::json;
using namespace clasp;

struct golden_frame {
  std::string name;
  message msg;
  codec::encode_options opts;
  json expect;
};

codec::encode_options frame_opts(codec::qos q, std::optional<std::uint64_t> ts = std::nullopt) {
  codec::encode_options o;
  o.quality = q;
  o.timestamp = ts;
  return o;
}

msg::set make_set(std::string address, value v) {
  msg::set s;
  s.address = std::move(address);
  s.val = std::move(v);
  return s;
}

std::vector<golden_frame> build_frames() {
  std::vector<golden_frame> out;
  auto add = [&out](std::string name, message m, const char* expect,
                    codec::encode_options opts = codec::encode_options{}) {
    out.push_back({std::move(name), std::move(m), opts, json::parse(expect)});
  };
  const auto confirm = frame_opts(codec::qos::confirm);

  // --- HELLO / WELCOME: the JS decoder knows five feature bits, not federation (0x04).
  msg::hello hello;
  hello.features = feature::param | feature::event | feature::stream;
  hello.name = "cpp-router";
  add("hello", hello,
      R"({"type":"HELLO","version":1,"name":"cpp-router","features":["param","event","stream"]})");
  hello.features = feature::param | feature::federation;
  hello.token = "peer-token";
  add("hello_federation_bit_dropped_by_js", hello,
      R"({"type":"HELLO","version":1,"name":"cpp-router","features":["param"],"token":"peer-token"})");
  msg::welcome welcome;
  welcome.features = feature::param | feature::event | feature::stream | feature::gesture |
                     feature::timeline | feature::federation;
  welcome.time_us = 1700000000123456;
  welcome.session = "s-1";
  welcome.name = "hub";
  add("welcome_features", welcome,
      R"({"type":"WELCOME","version":1,"session":"s-1","name":"hub","time":1700000000123456,
          "features":["param","event","stream","gesture","timeline"]})");
  welcome.features = feature::event;
  welcome.token = "tok";
  welcome.time_us = 0;
  add("welcome_token", welcome,
      R"({"type":"WELCOME","version":1,"session":"s-1","name":"hub","time":0,"features":["event"],"token":"tok"})");

  // --- SET: our encoder writes integers as i64; JS turns them into Number.
  const std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
  add("set_i64_zero", make_set("/i", std::int64_t{0}), R"({"type":"SET","address":"/i","value":0})",
      confirm);
  add("set_i64_42", make_set("/i", 42), R"({"type":"SET","address":"/i","value":42})", confirm);
  add("set_i64_minus_one", make_set("/i", -1), R"({"type":"SET","address":"/i","value":-1})",
      confirm);
  add("set_i64_two_pow_53_plus_1", make_set("/i", std::int64_t{9007199254740993}),
      R"({"type":"SET","address":"/i","value":9007199254740992})", confirm);  // rounded by Number()
  add("set_i64_max", make_set("/i", i64_max),
      R"({"type":"SET","address":"/i","value":9223372036854775808})", confirm);
  add("set_i64_min", make_set("/i", i64_min),
      R"({"type":"SET","address":"/i","value":-9223372036854775808})", confirm);
  add("set_f64", make_set("/f", 0.25), R"({"type":"SET","address":"/f","value":0.25})", confirm);
  add("set_f64_minus_zero", make_set("/f", -0.0),
      R"({"type":"SET","address":"/f","value":{"$f64":"-0"}})");
  add("set_f64_nan", make_set("/f", std::numeric_limits<double>::quiet_NaN()),
      R"({"type":"SET","address":"/f","value":{"$f64":"NaN"}})");
  add("set_f64_infinity", make_set("/f", -std::numeric_limits<double>::infinity()),
      R"({"type":"SET","address":"/f","value":{"$f64":"-Infinity"}})");
  add("set_null", make_set("/n", nullptr), R"({"type":"SET","address":"/n","value":null})");
  add("set_bool", make_set("/b", true), R"({"type":"SET","address":"/b","value":true})");
  add("set_string_unicode", make_set("/caf\xC3\xA9", "h\xC3\xA9llo \xE2\x9C\x93"),
      R"({"type":"SET","address":"/café","value":"héllo ✓"})");
  add("set_empty_string", make_set("/s", ""), R"({"type":"SET","address":"/s","value":""})");
  add("set_bytes", make_set("/y", byte_string{std::string("\x00\x01\xff", 3)}),
      R"({"type":"SET","address":"/y","value":{"$bytes":"0001ff"}})");
  add("set_empty_bytes", make_set("/y", byte_string{}),
      R"({"type":"SET","address":"/y","value":{"$bytes":""}})");
  add("set_array_mixed",
      make_set("/a", value_array{value(1), value(2.5), value("x"), value(nullptr), value(false),
                                 value(value_array{value(7)})}),
      R"({"type":"SET","address":"/a","value":[1,2.5,"x",null,false,[7]]})");
  add("set_map_nested",
      make_set("/m", value_map{{"z", value(1)},
                               {"a", value(value_map{{"deep", value(value_array{value("q")})}})},
                               {"b", value(byte_string{"\x09"})}}),
      R"({"type":"SET","address":"/m","value":{"z":1,"a":{"deep":["q"]},"b":{"$bytes":"09"}}})");
  add("set_empty_containers", make_set("/e", value_array{value(value_array{}), value(value_map{})}),
      R"({"type":"SET","address":"/e","value":[[],{}]})");
  {
    auto s = make_set("/r", 3);
    s.revision = 5;
    add("set_revision_no_ttl", s, R"({"type":"SET","address":"/r","value":3,"revision":5})",
        confirm);
    s.revision = std::numeric_limits<std::uint64_t>::max();
    add("set_revision_u64_max", s,
        R"({"type":"SET","address":"/r","value":3,"revision":18446744073709551616})");  // Number()-rounded
  }
  {
    // The JS decoder ignores TTL (flag 0x10 and its u32); the rest must still decode.
    auto s = make_set("/t", 1);
    s.ttl = ttl_spec{false, 30};
    add("set_ttl_sliding_ignored_by_js", s, R"({"type":"SET","address":"/t","value":1})");
    s.ttl = ttl_spec{true, 1900000000};
    s.revision = 9;
    s.lock = true;
    add("set_ttl_absolute_revision_lock", s,
        R"({"type":"SET","address":"/t","value":1,"revision":9,"lock":true})");
    s.ttl = ttl_spec{false, 0};
    s.revision.reset();
    s.lock = false;
    s.unlock = true;
    s.val = "x";
    add("set_ttl_never_unlock", s, R"({"type":"SET","address":"/t","value":"x","unlock":true})");
  }

  // --- PUBLISH
  {
    msg::publish p;
    p.signal = signal_type::stream;
    p.address = "/audio/level";
    p.samples = std::vector<double>{0.5, -1.0, 1e-3, 0.0};
    add("publish_samples", p,
        R"({"type":"PUBLISH","address":"/audio/level","signal":"stream","phase":"start","samples":[0.5,-1,0.001,0]})");
    p.samples = std::vector<double>{};
    p.timestamp = 1700000000000000;
    p.rate = 48000;
    add("publish_samples_empty_timestamp_rate", p,
        R"({"type":"PUBLISH","address":"/audio/level","signal":"stream","phase":"start","samples":[],
            "timestamp":1700000000000000,"rate":48000})");
  }
  {
    msg::publish p;
    p.signal = signal_type::gesture;
    p.phase = gesture_phase::move;
    p.address = "/touch";
    p.gesture_id = 4294967295u;
    p.timestamp = 12;
    p.val = value(value_map{{"x", value(0.5)}, {"y", value(-3)}});
    add("publish_gesture_move", p,
        R"({"type":"PUBLISH","address":"/touch","signal":"gesture","phase":"move","id":4294967295,
            "timestamp":12,"value":{"x":0.5,"y":-3}})");
    p.phase = gesture_phase::cancel;
    p.val.reset();
    p.timestamp.reset();
    add("publish_gesture_cancel_no_value", p,
        R"({"type":"PUBLISH","address":"/touch","signal":"gesture","phase":"cancel","id":4294967295})");
  }
  {
    msg::publish p;
    p.address = "/cue";
    p.val = value(nullptr);
    add("publish_event_null", p,
        R"({"type":"PUBLISH","address":"/cue","signal":"event","phase":"start","value":null})",
        confirm);
    p.val = value(std::int64_t{-42});
    p.rate = 30;
    add("publish_event_i64_rate", p,
        R"({"type":"PUBLISH","address":"/cue","signal":"event","phase":"start","value":-42,"rate":30})");
    p.val.reset();
    p.rate.reset();
    add("publish_event_no_value", p,
        R"({"type":"PUBLISH","address":"/cue","signal":"event","phase":"start"})");
    p.signal = signal_type::timeline;
    p.phase = gesture_phase::end;
    p.val = value(value_array{value(1), value(2)});
    add("publish_timeline", p,
        R"({"type":"PUBLISH","address":"/cue","signal":"timeline","phase":"end","value":[1,2]})");
    p.signal = signal_type::param;
    p.phase = gesture_phase::start;
    add("publish_param", p,
        R"({"type":"PUBLISH","address":"/cue","signal":"param","phase":"start","value":[1,2]})");
  }

  // --- SNAPSHOT
  {
    msg::snapshot snap;
    add("snapshot_empty", snap, R"({"type":"SNAPSHOT","params":[]})");
    snap.params.push_back({"/a", value(std::int64_t{7}), 1, std::nullopt, std::nullopt});
    snap.params.push_back({"/b", value("x"), 2, std::string("sess-9"), std::nullopt});
    snap.params.push_back({"/c", value(0.5), 3, std::nullopt, std::uint64_t{1700000000000000}});
    snap.params.push_back({"/d", value(nullptr), 4, std::string("w"), std::uint64_t{0}});
    add("snapshot_writer_timestamp", snap,
        R"({"type":"SNAPSHOT","params":[
             {"address":"/a","value":7,"revision":1},
             {"address":"/b","value":"x","revision":2,"writer":"sess-9"},
             {"address":"/c","value":0.5,"revision":3,"timestamp":1700000000000000},
             {"address":"/d","value":null,"revision":4,"writer":"w","timestamp":0}]})");
  }

  // --- ACK / ERROR
  {
    msg::ack a;
    add("ack_empty", a, R"({"type":"ACK"})");
    a.address = "/mixer/vol";
    a.revision = 12;
    add("ack_address_revision", a, R"({"type":"ACK","address":"/mixer/vol","revision":12})");
    a.locked = false;
    a.holder = "sess-2";
    a.correlation_id = 77;
    add("ack_all_fields", a,
        R"({"type":"ACK","address":"/mixer/vol","revision":12,"locked":false,"holder":"sess-2","correlationId":77})");
  }
  {
    msg::error e;
    e.code = error_code::address_not_found;
    e.message = "address not found";
    add("error_minimal", e, R"({"type":"ERROR","code":201,"message":"address not found"})");
    e.code = error_code::lock_held;
    e.message = "lock held by sess-2";
    e.address = "/l";
    e.correlation_id = 9;
    add("error_address_correlation", e,
        R"({"type":"ERROR","code":401,"message":"lock held by sess-2","address":"/l","correlationId":9})");
    e.address.reset();
    e.code = error_code::federation_refused;
    e.message = "";
    add("error_correlation_only", e,
        R"({"type":"ERROR","code":403,"message":"","correlationId":9})");
  }

  // --- SUBSCRIBE / UNSUBSCRIBE / GET / QUERY / RESULT / ANNOUNCE
  {
    msg::subscribe s;
    s.id = 1;
    s.pattern = "/**";
    add("subscribe_all", s, R"({"type":"SUBSCRIBE","id":1,"pattern":"/**"})", confirm);
    s.id = 4294967295u;
    s.pattern = "/a/*/c";
    s.types = type_mask::param | type_mask::timeline;
    s.options.max_rate = 60;
    s.options.epsilon = 0.01;
    s.options.history = 3;
    s.options.window = 1000;
    add("subscribe_types_options", s,
        R"({"type":"SUBSCRIBE","id":4294967295,"pattern":"/a/*/c","types":["param","timeline"],
            "options":{"maxRate":60,"epsilon":0.01,"history":3,"window":1000}})");
    s.options = subscribe_options{};
    s.options.epsilon = 0.5;
    s.types = type_mask::stream;
    add("subscribe_epsilon", s,
        R"({"type":"SUBSCRIBE","id":4294967295,"pattern":"/a/*/c","types":["stream"],"options":{"epsilon":0.5}})");
  }
  add("unsubscribe", msg::unsubscribe{3}, R"({"type":"UNSUBSCRIBE","id":3})");
  add("get", msg::get{"/mixer/vol"}, R"({"type":"GET","address":"/mixer/vol"})");
  add("query", msg::query{"/mixer/**"}, R"({"type":"QUERY","pattern":"/mixer/**"})");
  {
    msg::result r;
    r.signals.push_back(
        {"/a", signal_type::param, std::string("f64"), std::string("rw"), std::nullopt});
    r.signals.push_back({"/b", signal_type::gesture, std::nullopt, std::nullopt, std::nullopt});
    add("result", r,
        R"({"type":"RESULT","signals":[{"address":"/a","type":"param","datatype":"f64","access":"rw"},
                                       {"address":"/b","type":"gesture"}]})");
  }
  {
    msg::announce a;
    a.ns = "/mixer";
    signal_meta full;
    full.unit = "dB";
    full.range = std::make_pair(-60.0, 12.0);
    full.default_value = value(std::int64_t{-6});
    full.description = "Volume";
    a.signals.push_back(
        {"/mixer/vol", signal_type::param, std::string("f64"), std::string("rw"), full});
    a.signals.push_back(
        {"/mixer/go", signal_type::event, std::nullopt, std::nullopt, signal_meta{}});
    a.signals.push_back(
        {"/mixer/lvl", signal_type::stream, std::nullopt, std::string("r"), std::nullopt});
    add("announce_meta", a,
        R"({"type":"ANNOUNCE","namespace":"/mixer","signals":[
             {"address":"/mixer/vol","type":"param","datatype":"f64","access":"rw",
              "meta":{"unit":"dB","range":[-60,12],"default":-6,"description":"Volume"}},
             {"address":"/mixer/go","type":"event","meta":{}},
             {"address":"/mixer/lvl","type":"stream","access":"r"}]})");
  }

  // --- BUNDLE / SYNC / PING / PONG, with frame options
  {
    msg::bundle inner;
    inner.messages.push_back(make_set("/x", std::int64_t{1}));
    msg::bundle b;
    b.timestamp = 1700000000000000;
    b.messages.push_back(make_set("/a", 1.5));
    msg::publish p;
    p.address = "/e";
    p.val = value("go");
    b.messages.push_back(p);
    b.messages.push_back(inner);
    add("bundle_nested_timestamp", b,
        R"({"type":"BUNDLE","timestamp":1700000000000000,"messages":[
             {"type":"SET","address":"/a","value":1.5},
             {"type":"PUBLISH","address":"/e","signal":"event","phase":"start","value":"go"},
             {"type":"BUNDLE","messages":[{"type":"SET","address":"/x","value":1}]}]})",
        frame_opts(codec::qos::commit, 99));
    add("bundle_empty", msg::bundle{}, R"({"type":"BUNDLE","messages":[]})");
  }
  {
    msg::sync s;
    s.t1 = 1700000000000000;
    add("sync_t1", s, R"({"type":"SYNC","t1":1700000000000000})");
    s.t2 = 1700000000000100;
    s.t3 = 1700000000000200;
    add("sync_t1_t2_t3", s,
        R"({"type":"SYNC","t1":1700000000000000,"t2":1700000000000100,"t3":1700000000000200})");
    s.t2.reset();
    add("sync_t1_t3", s, R"({"type":"SYNC","t1":1700000000000000,"t3":1700000000000200})");
  }
  add("ping", msg::ping{}, R"({"type":"PING"})");
  add("pong_timestamp_u64_max", msg::pong{}, R"({"type":"PONG"})",
      frame_opts(codec::qos::confirm, std::numeric_limits<std::uint64_t>::max()));
  add("ping_timestamp_zero", msg::ping{}, R"({"type":"PING"})", frame_opts(codec::qos::commit, 0));

  return out;
}

// SNAPSHOT split into parts that each fit a small limit, as the router does for
// large subscriptions; every part must be a valid SNAPSHOT for the JS client.
bool add_split_snapshot(std::vector<golden_frame>& out) {
  std::vector<param_entry> params;
  for (int i = 0; i < 40; ++i) {
    param_entry p;
    p.address = "/split/" + std::to_string(i);
    p.val = value(std::string(100, static_cast<char>('a' + i % 26)));
    p.revision = static_cast<revision_t>(i + 1);
    if (i % 3 == 0) p.writer = "w" + std::to_string(i);
    params.push_back(std::move(p));
  }
  const std::size_t limit = 1000;
  auto parts = codec::split_snapshot(params, limit);
  if (parts.size() < 2) {
    std::cerr << "interop_emit_frames: split_snapshot made " << parts.size()
              << " part(s) of 40 params\n";
    return false;
  }
  std::size_t next = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (codec::encoded_size(parts[k]) > limit) {
      std::cerr << "interop_emit_frames: snapshot part " << k << " exceeds " << limit << " bytes\n";
      return false;
    }
    json expected_params = json::array();
    for (std::size_t j = 0; j < parts[k].params.size(); ++j, ++next) {
      if (next >= params.size()) {
        std::cerr << "interop_emit_frames: split_snapshot returned extra params\n";
        return false;
      }
      const auto& p = params[next];  // parts must keep the input order
      json e = {{"address", p.address},
                {"value", std::get<std::string>(p.val.data)},
                {"revision", p.revision}};
      if (p.writer) e["writer"] = *p.writer;
      expected_params.push_back(e);
    }
    out.push_back({"snapshot_split_part_" + std::to_string(k), parts[k], codec::encode_options{},
                   json{{"type", "SNAPSHOT"}, {"params", expected_params}}});
  }
  if (next != params.size()) {
    std::cerr << "interop_emit_frames: split_snapshot lost " << params.size() - next << " params\n";
    return false;
  }
  return true;
}

}  // namespace

int main() {
  auto frames = build_frames();
  if (!add_split_snapshot(frames)) return 1;
  json out = json::array();
  for (const auto& f : frames) {
    std::string why;
    std::string bytes;
    if (!codec::encode_frame(f.msg, f.opts, bytes, &why)) {
      std::cerr << "interop_emit_frames: cannot encode " << f.name << ": " << why << "\n";
      return 1;
    }
    json header = {{"qos", static_cast<int>(f.opts.quality)}};
    if (f.opts.timestamp) header["timestamp"] = std::to_string(*f.opts.timestamp);
    out.push_back({{"name", f.name},
                   {"hex", interop::to_hex(bytes)},
                   {"frame", header},
                   {"expect", f.expect}});
  }
  std::cout << out.dump(1) << "\n";
  return 0;
}
