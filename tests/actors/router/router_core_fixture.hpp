// A router_core with sessions backed by fake connections, plus small builders
// for the messages the tests send.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "actors/router/router_core.hpp"
#include "tests/actors/fake_connection.hpp"

namespace clasp::testing {

// A config with only the router id set.
inline router::router_config named(const std::string& id) {
  router::router_config cfg;
  cfg.router_id = id;
  return cfg;
}

// A full RequestSync (since 0) for `patterns`.
inline msg::federation_sync request(std::vector<std::string> patterns) {
  msg::federation_sync m;
  m.op = federation_op::request_sync;
  m.patterns = std::move(patterns);
  m.since_revision = 0;
  return m;
}

class router_core_test : public ::testing::Test {
 protected:
  explicit router_core_test(router::router_config cfg = config()) : core_(std::move(cfg)) {}

  static router::router_config config() {
    router::router_config cfg;
    cfg.router_id = "hub";
    cfg.max_subscriptions = 1000;
    return cfg;
  }

  fake_connection& attach(router::session_id_t id, std::string name = {}) {
    auto c = std::make_shared<fake_connection>();
    conns_[id] = c;
    core_.attach(id, name.empty() ? "session-" + std::to_string(id) : std::move(name), c);
    return *c;
  }

  fake_connection& conn(router::session_id_t id) { return *conns_.at(id); }

  void send(router::session_id_t from, const message& m, codec::qos q = codec::qos::confirm) {
    core_.handle(from, m, q);
  }

  void clear_all() {
    for (auto& [id, c] : conns_) c->clear();
  }

  static msg::set set(std::string address, value v, std::optional<revision_t> rev = std::nullopt) {
    msg::set s;
    s.address = std::move(address);
    s.val = std::move(v);
    s.revision = rev;
    return s;
  }

  static msg::subscribe subscribe(std::uint32_t id, std::string pattern,
                                  std::uint8_t types = type_mask::all) {
    msg::subscribe s;
    s.id = id;
    s.pattern = std::move(pattern);
    s.types = types;
    return s;
  }

  static msg::publish event(std::string address, value v) {
    msg::publish p;
    p.signal = signal_type::event;
    p.address = std::move(address);
    p.val = std::move(v);
    return p;
  }

  // The revision a router gives an address it holds no record of: its
  // incarnation floor (the start of this run in microseconds).
  revision_t first_rev() const { return core_.params().revision_floor(); }

  // The one error a session received; fails the test if there is not exactly one.
  static msg::error only_error(const fake_connection& c) {
    auto errors = c.all<msg::error>();
    EXPECT_EQ(errors.size(), 1u) << "expected exactly one ERROR, got " << errors.size();
    return errors.empty() ? msg::error{} : errors.front();
  }

  router::router_core core_;
  std::map<router::session_id_t, std::shared_ptr<fake_connection>> conns_;
};

}  // namespace clasp::testing
