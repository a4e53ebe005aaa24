// Fixture and helpers for the router-core integration tests.
#include "tests/integration/router_test.hpp"

#include <chrono>

namespace clasp::test {

using clock_type = std::chrono::steady_clock;

void router_test::SetUp() {
  router_ = std::make_unique<router_process>(router_process::server_args({"--no-persistence"}));
}

std::unique_ptr<wire_client> router_test::raw_client() {
  auto c = std::make_unique<wire_client>();
  EXPECT_TRUE(c->connect(router_->port())) << c->last_error();
  return c;
}

std::unique_ptr<wire_client> router_test::client(const std::string& name) {
  auto c = raw_client();
  auto w = c->hello(name);
  EXPECT_FALSE(w.session.empty()) << "WELCOME without a session id";
  return c;
}

msg::set make_set(const std::string& address, value v) {
  msg::set s;
  s.address = address;
  s.val = std::move(v);
  return s;
}

msg::subscribe make_subscribe(std::uint32_t id, const std::string& pattern, std::uint8_t types) {
  msg::subscribe s;
  s.id = id;
  s.pattern = pattern;
  s.types = types;
  return s;
}

msg::publish make_publish(signal_type type, const std::string& address, value v) {
  msg::publish p;
  p.signal = type;
  p.address = address;
  p.val = std::move(v);
  return p;
}

std::optional<message> set_reply(wire_client& c, const msg::set& s, millis timeout) {
  if (!c.send(s, codec::qos::confirm)) {
    ADD_FAILURE() << "SET " << s.address << " could not be sent: " << c.last_error();
    return std::nullopt;
  }
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<millis>(deadline - clock_type::now());
    if (left.count() < 0) left = millis(0);
    auto m = c.recv(left);
    if (!m) {
      ADD_FAILURE() << "no ACK or ERROR for SET " << s.address << " within " << timeout.count()
                    << " ms" << (c.closed() ? " (connection closed)" : "");
      return std::nullopt;
    }
    if (m->is<msg::error>()) return m;
    // ACKs of other messages (SUBSCRIBE, PUBLISH) may come first.
    if (m->is<msg::ack>() && m->as<msg::ack>().address == s.address) return m;
  }
}

revision_t set_ok(wire_client& c, const std::string& address, value v) {
  auto reply = set_reply(c, make_set(address, std::move(v)));
  if (!reply) return 0;
  if (!reply->is<msg::ack>()) {
    ADD_FAILURE() << "SET " << address << " refused: " << describe(*reply);
    return 0;
  }
  const auto& ack = reply->as<msg::ack>();
  EXPECT_EQ(ack.address, std::optional<std::string>(address)) << "ACK must name the address";
  EXPECT_TRUE(ack.revision.has_value()) << "ACK must carry the revision";
  return ack.revision.value_or(0);
}

std::optional<param_entry> get_param(wire_client& c, const std::string& address,
                                     std::uint16_t* error_code) {
  msg::get g;
  g.address = address;
  if (!c.send(g)) {
    ADD_FAILURE() << "GET could not be sent: " << c.last_error();
    return std::nullopt;
  }
  const auto deadline = clock_type::now() + default_timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<millis>(deadline - clock_type::now());
    if (left.count() < 0) left = millis(0);
    auto m = c.recv(left);
    if (!m) {
      ADD_FAILURE() << "no reply to GET " << address;
      return std::nullopt;
    }
    if (m->is<msg::error>()) {
      if (error_code) *error_code = m->as<msg::error>().code;
      return std::nullopt;
    }
    if (m->is<msg::snapshot>()) {
      for (const auto& p : m->as<msg::snapshot>().params) {
        if (p.address == address) return p;
      }
    }
  }
}

std::string address_of(const message& m) {
  if (m.is<msg::set>()) return m.as<msg::set>().address;
  if (m.is<msg::publish>()) return m.as<msg::publish>().address;
  return {};
}

bool await_live(wire_client& sub, wire_client& writer, const message& probe,
                const std::string& probe_address, millis timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline) {
    if (!writer.send(probe, codec::qos::fire)) return false;
    // A PING round trip paces the probes by the router, not by a sleep.
    writer.send(msg::ping{});
    writer.expect<msg::pong>(default_timeout, skip::others);
    auto seen = sub.recv(millis(100));
    while (seen) {
      if (address_of(*seen) == probe_address) return true;
      if (seen->is<msg::snapshot>()) {
        for (const auto& p : seen->as<msg::snapshot>().params) {
          if (p.address == probe_address) return true;
        }
      }
      seen = sub.recv(millis(100));
    }
  }
  ADD_FAILURE() << "subscription never saw probe " << probe_address;
  return false;
}

std::string raw_frame(const std::string& payload, std::uint8_t flags) {
  std::string f;
  f += static_cast<char>(codec::magic);
  f += static_cast<char>(flags);
  f += static_cast<char>((payload.size() >> 8) & 0xFF);
  f += static_cast<char>(payload.size() & 0xFF);
  f += payload;
  return f;
}

std::string payload_of(const message& m) {
  std::string out;
  codec::encode_message(m, out);
  return out;
}

std::uint16_t expect_error_or_close(wire_client& c, const std::set<std::uint16_t>& codes,
                                    millis timeout) {
  auto m = c.recv(timeout);
  while (m && m->is<msg::ping>()) m = c.recv(timeout);
  if (!m) {
    EXPECT_TRUE(c.closed()) << "neither an ERROR nor a close within " << timeout.count() << " ms";
    return 0;
  }
  if (!m->is<msg::error>()) {
    ADD_FAILURE() << "expected ERROR or close, got " << describe(*m);
    return 0;
  }
  auto code = m->as<msg::error>().code;
  std::string wanted;
  for (auto k : codes) wanted += std::to_string(k) + " ";
  EXPECT_TRUE(codes.count(code)) << "ERROR " << code << " '" << m->as<msg::error>().message
                                 << "', wanted one of: " << wanted;
  return code;
}

}  // namespace clasp::test
