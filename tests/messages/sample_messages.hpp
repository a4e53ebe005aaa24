// Messages of every type with every optional field on and off, shared by the
// codec tests, the fuzz corpus generator and nothing else.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "messages/messages.hpp"

namespace clasp::testing {

inline value nested_value() {
  return value_map{{"f", 1.5},
                   {"i", std::int64_t{-42}},
                   {"s", "text"},
                   {"b", true},
                   {"n", nullptr},
                   {"raw", byte_string{std::string("\x00\x01\xff", 3)}},
                   {"list", value_array{1, 2.5, "x", value_array{value_map{{"deep", false}}}}}};
}

// Named so a failing test says which one broke.
inline std::vector<std::pair<std::string, message>> sample_messages() {
  std::vector<std::pair<std::string, message>> out;
  auto add = [&](std::string name, message m) { out.emplace_back(std::move(name), std::move(m)); };

  add("hello_min", msg::hello{1, 0, "", ""});
  add("hello_full", msg::hello{1, 0xFC, "leaf-a", "secret-token"});
  add("welcome_min", msg::welcome{1, 0, 0, "", "", ""});
  add("welcome_full", msg::welcome{1, 0xFC, 1700000000000000ull, "session-1", "hub", "tok"});

  signal_definition bare{"/a/b", signal_type::param, std::nullopt, std::nullopt, std::nullopt};
  signal_definition described{
      "/a/c", signal_type::stream, "f64", "rw",
      signal_meta{"Hz", std::make_pair(0.0, 20000.0), value(440.0), "oscillator frequency"}};
  signal_definition partial_meta{
      "/a/d", signal_type::timeline, std::nullopt, "r",
      signal_meta{std::nullopt, std::nullopt, nested_value(), std::nullopt}};
  signal_definition empty_meta{"/a/e", signal_type::gesture, "i64", std::nullopt, signal_meta{}};
  add("announce_empty", msg::announce{"", {}});
  add("announce_full", msg::announce{"/a", {bare, described, partial_meta, empty_meta}});

  add("fedsync_min",
      msg::federation_sync{federation_op::sync_complete, {}, {}, std::nullopt, std::nullopt});
  add("fedsync_declare", msg::federation_sync{federation_op::declare_namespaces,
                                              {"/site-a/**", "/shared/*/x"},
                                              {},
                                              std::nullopt,
                                              "router-a"});
  add("fedsync_request",
      msg::federation_sync{
          federation_op::request_sync, {"/site-a/**"}, {}, std::uint64_t{77}, std::nullopt});
  add("fedsync_vector", msg::federation_sync{federation_op::revision_vector,
                                             {"/x/**"},
                                             {{"/x/a", 1}, {"/x/b", 0xFFFFFFFFFFull}},
                                             std::uint64_t{5},
                                             "router-b"});

  add("subscribe_min", msg::subscribe{1, "/**", type_mask::all, {}});
  add("subscribe_full", msg::subscribe{0xDEADBEEF, "/a/*/c", type_mask::param | type_mask::event,
                                       subscribe_options{30u, 0.01, 10u, 500u}});
  add("subscribe_some", msg::subscribe{2, "/b", type_mask::stream,
                                       subscribe_options{std::nullopt, 0.5, std::nullopt, 9u}});
  add("unsubscribe", msg::unsubscribe{42});

  msg::publish pub_min;
  pub_min.address = "/e";
  add("publish_min", pub_min);
  msg::publish pub_val;
  pub_val.signal = signal_type::event;
  pub_val.address = "/events/click";
  pub_val.val = nested_value();
  pub_val.timestamp = 123456789ull;
  add("publish_value", pub_val);
  msg::publish pub_samples;
  pub_samples.signal = signal_type::stream;
  pub_samples.address = "/stream/audio";
  pub_samples.samples = std::vector<double>{0.0, -1.25, 3.5e10};
  pub_samples.rate = 48000u;
  add("publish_samples", pub_samples);
  msg::publish pub_gesture;
  pub_gesture.signal = signal_type::gesture;
  pub_gesture.phase = gesture_phase::move;
  pub_gesture.address = "/touch";
  pub_gesture.val = value_array{0.5, 0.25};
  pub_gesture.timestamp = 1ull;
  pub_gesture.gesture_id = 7u;
  pub_gesture.rate = 120u;
  add("publish_gesture", pub_gesture);
  msg::publish pub_empty_samples;
  pub_empty_samples.signal = signal_type::timeline;
  pub_empty_samples.phase = gesture_phase::cancel;
  pub_empty_samples.address = "/t";
  pub_empty_samples.samples = std::vector<double>{};
  add("publish_empty_samples", pub_empty_samples);

  add("set_min", msg::set{"/a", value(1.5), std::nullopt, false, false, std::nullopt});
  add("set_full", msg::set{"/mixer/channel/1/fader", value(std::int64_t{-7}), revision_t{99}, true,
                           false, ttl_spec{true, 1700000000u}});
  add("set_unlock_ttl",
      msg::set{"/x", value("str"), std::nullopt, false, true, ttl_spec{false, 30u}});
  add("set_null", msg::set{"/n", value(), std::nullopt, false, false, ttl_spec{false, 0u}});
  add("set_nested", msg::set{"/cfg", nested_value(), revision_t{1}, false, false, std::nullopt});
  add("get", msg::get{"/a/b"});

  add("snapshot_empty", msg::snapshot{});
  add("snapshot_full",
      msg::snapshot{{param_entry{"/a", value(1.0), 3, std::nullopt, std::nullopt},
                     param_entry{"/b", value("s"), 4, std::string("writer-1"), std::nullopt},
                     param_entry{"/c", value(true), 5, std::nullopt, std::uint64_t{99}},
                     param_entry{"/d", nested_value(), 6, std::string(""), std::uint64_t{0}}}});

  add("replay_min", msg::replay{"/a/**", std::nullopt, std::nullopt, std::nullopt, type_mask::all});
  add("replay_full",
      msg::replay{"/a/**", std::uint64_t{10}, std::uint64_t{20}, 100u, type_mask::param});

  msg::bundle inner_bundle{
      std::nullopt,
      {msg::ping{}, msg::set{"/z", value(2.0), std::nullopt, false, false, std::nullopt}}};
  add("bundle_empty", msg::bundle{});
  add("bundle_full",
      msg::bundle{std::uint64_t{555},
                  {msg::set{"/a", value(1.0), std::nullopt, false, false, std::nullopt},
                   pub_gesture, inner_bundle, msg::get{"/q"}}});

  add("sync_min", msg::sync{1, std::nullopt, std::nullopt});
  add("sync_full", msg::sync{1, std::uint64_t{2}, std::uint64_t{3}});
  add("ping", msg::ping{});
  add("pong", msg::pong{});
  add("ack_min", msg::ack{});
  add("ack_full", msg::ack{std::string("/a"), revision_t{12}, true, std::string("sess-9"), 77u});
  add("ack_some", msg::ack{std::nullopt, revision_t{1}, false, std::nullopt, std::nullopt});
  add("error_min", msg::error{error_code::invalid_message, "bad", std::nullopt, std::nullopt});
  add("error_full", msg::error{error_code::federation_refused, "nope", std::string("/x"), 5u});
  add("query", msg::query{"/a/**"});
  signal_definition result_sig{"/r", signal_type::event, "string", "r", std::nullopt};
  add("result_empty", msg::result{});
  add("result_full", msg::result{{bare, result_sig}});
  return out;
}

}  // namespace clasp::testing
