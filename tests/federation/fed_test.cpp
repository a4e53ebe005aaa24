// Router startup, peer-table polling and wire helpers for the federation tests.
#include "tests/federation/fed_test.hpp"

#include <chrono>
#include <sstream>
#include <thread>

#include "tests/support/http_get.hpp"

namespace clasp::fedtest {

using clock_type = std::chrono::steady_clock;

namespace {

millis left_until(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<millis>(deadline - clock_type::now());
  return left.count() < 0 ? millis(0) : left;
}

// Pause between two polls of a condition (not a synchronisation by itself).
constexpr millis poll_interval{20};

}  // namespace

std::vector<std::string> hub_args(const std::string& id, std::vector<std::string> extra) {
  std::vector<std::string> a{"--no-persistence", "--features", "federation", "--federation-id", id};
  a.insert(a.end(), extra.begin(), extra.end());
  return router_process::server_args(a);
}

std::vector<std::string> leaf_args(std::uint16_t hub_port, const std::string& ns, const std::string& id,
                                   std::vector<std::string> extra) {
  std::vector<std::string> a{"--no-persistence",
                             "--federation-mode", "leaf",
                             "--federation-hub", "ws://127.0.0.1:" + std::to_string(hub_port),
                             "--federation-namespaces", ns,
                             "--federation-id", id,
                             "--federation-reconnect-delay-ms", "200"};
  a.insert(a.end(), extra.begin(), extra.end());
  return router_process::server_args(a);
}

json peers_of(std::uint16_t port) {
  auto r = test::http_get(port, "/federation/peers", millis(2000));
  if (r.status != 200) return nullptr;
  auto j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

json peer_entry(const json& peers, const std::string& router_id) {
  if (!peers.is_array()) return nullptr;
  for (const auto& p : peers)
    if (p.is_object() && p.value("router_id", std::string{}) == router_id) return p;
  return nullptr;
}

bool peer_active(const json& peers, const std::string& router_id, const std::string& ns) {
  auto p = peer_entry(peers, router_id);
  if (!p.is_object() || p.value("state", std::string{}) != "Active") return false;
  if (ns.empty()) return true;
  if (!p.contains("namespaces") || !p["namespaces"].is_array()) return false;
  for (const auto& n : p["namespaces"])
    if (n.is_string() && n.get<std::string>() == ns) return true;
  return false;
}

bool wait_peers(std::uint16_t port, const std::function<bool(const json&)>& pred, millis timeout,
                std::string* last) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto j = peers_of(port);
    if (last) *last = j.dump();
    if (pred(j)) return true;
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

void three_routers::SetUp() {
  hub_ = std::make_unique<router_process>(hub_args("hub", hub_extra_));
  a_ = std::make_unique<router_process>(leaf_args(hub_->port(), "/site-a/**", "site-a", leaf_extra_));
  b_ = std::make_unique<router_process>(leaf_args(hub_->port(), "/site-b/**", "site-b", leaf_extra_));
  expect_converged();
}

void three_routers::expect_converged(millis timeout) {
  std::string last;
  EXPECT_TRUE(wait_peers(
      hub_->port(),
      [](const json& p) { return peer_active(p, "site-a") && peer_active(p, "site-b"); }, timeout, &last))
      << "hub never saw both leaves Active; /federation/peers: " << last;
  EXPECT_TRUE(wait_peers(a_->port(), [](const json& p) { return peer_active(p, "hub", "/site-b/**"); },
                         timeout, &last))
      << "site-a never got an Active hub link declaring /site-b/**; /federation/peers: " << last;
  EXPECT_TRUE(wait_peers(b_->port(), [](const json& p) { return peer_active(p, "hub", "/site-a/**"); },
                         timeout, &last))
      << "site-b never got an Active hub link declaring /site-a/**; /federation/peers: " << last;
}

std::unique_ptr<wire_client> client_at(std::uint16_t port, const std::string& name) {
  auto c = std::make_unique<wire_client>();
  EXPECT_TRUE(c->connect(port)) << "connect to " << port << ": " << c->last_error();
  auto w = c->hello(name);
  EXPECT_FALSE(w.session.empty()) << "WELCOME without a session id";
  return c;
}

namespace {

// Sends GET and returns the SNAPSHOT entry or ERROR about `address`; other
// frames are dropped. `answered` is false if nothing came.
std::optional<param_entry> get_once(wire_client& c, const std::string& address, std::uint16_t& code,
                                    bool& answered) {
  code = 0;
  answered = false;
  msg::get g;
  g.address = address;
  if (!c.send(g)) return std::nullopt;
  const auto deadline = clock_type::now() + test::default_timeout;
  for (;;) {
    auto m = c.recv(left_until(deadline));
    if (!m) return std::nullopt;
    if (m->is<msg::error>()) {
      const auto& e = m->as<msg::error>();
      if (e.address && *e.address != address) continue;
      answered = true;
      code = e.code;
      return std::nullopt;
    }
    if (m->is<msg::snapshot>()) {
      for (const auto& p : m->as<msg::snapshot>().params)
        if (p.address == address) {
          answered = true;
          return p;
        }
    }
  }
}

}  // namespace

bool subscribe_live(wire_client& c, std::uint32_t id, const std::string& pattern, std::uint8_t types) {
  msg::subscribe s;
  s.id = id;
  s.pattern = pattern;
  s.types = types;
  if (!c.send(s)) return false;
  // Operations of one session are handled in order: once a later GET is
  // answered, the subscription is in place.
  std::uint16_t code = 0;
  bool answered = false;
  get_once(c, "/fedtest/probe/" + std::to_string(id), code, answered);
  EXPECT_TRUE(answered) << "no answer to the GET probe after SUBSCRIBE " << pattern;
  return answered;
}

msg::set make_set(const std::string& address, value v) {
  msg::set s;
  s.address = address;
  s.val = std::move(v);
  return s;
}

std::optional<message> set_reply(wire_client& c, const msg::set& s, millis timeout) {
  if (!c.send(s, codec::qos::confirm)) {
    ADD_FAILURE() << "SET " << s.address << " could not be sent: " << c.last_error();
    return std::nullopt;
  }
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto m = c.recv(left_until(deadline));
    if (!m) {
      ADD_FAILURE() << "no ACK or ERROR for SET " << s.address << " within " << timeout.count() << " ms"
                    << (c.closed() ? " (connection closed)" : "");
      return std::nullopt;
    }
    if (m->is<msg::error>() && (!m->as<msg::error>().address || *m->as<msg::error>().address == s.address))
      return m;
    if (m->is<msg::ack>() && m->as<msg::ack>().address == s.address) return m;
  }
}

revision_t set_ok(wire_client& c, const std::string& address, value v) {
  auto reply = set_reply(c, make_set(address, std::move(v)));
  if (!reply) return 0;
  if (!reply->is<msg::ack>()) {
    ADD_FAILURE() << "SET " << address << " refused: " << test::describe(*reply);
    return 0;
  }
  const auto& ack = reply->as<msg::ack>();
  EXPECT_TRUE(ack.revision.has_value()) << "ACK for " << address << " must carry the revision";
  return ack.revision.value_or(0);
}

std::optional<param_entry> get_param(wire_client& c, const std::string& address, std::uint16_t* error_code) {
  std::uint16_t code = 0;
  bool answered = false;
  auto p = get_once(c, address, code, answered);
  if (!answered) ADD_FAILURE() << "no reply to GET " << address;
  if (error_code) *error_code = code;
  return p;
}

bool wait_value(wire_client& c, const std::string& address, const value& expected, millis timeout,
                revision_t min_revision) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    std::uint16_t code = 0;
    bool answered = false;
    auto p = get_once(c, address, code, answered);
    if (p && p->val == expected && p->revision >= min_revision) return true;
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

bool wait_absent(wire_client& c, const std::string& address, millis timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    std::uint16_t code = 0;
    bool answered = false;
    get_once(c, address, code, answered);
    if (answered && code == error_code::address_not_found) return true;
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

namespace {

void collect_deliveries(const message& m, const std::string& address, std::vector<delivery>& out) {
  if (m.is<msg::set>() && m.as<msg::set>().address == address) {
    const auto& s = m.as<msg::set>();
    out.push_back({message_type::set, s.val, s.revision});
  } else if (m.is<msg::publish>() && m.as<msg::publish>().address == address) {
    const auto& p = m.as<msg::publish>();
    out.push_back({message_type::publish, p.val.value_or(value{}), std::nullopt});
  } else if (m.is<msg::snapshot>()) {
    for (const auto& p : m.as<msg::snapshot>().params)
      if (p.address == address) out.push_back({message_type::snapshot, p.val, p.revision});
  }
}

}  // namespace

std::vector<delivery> deliveries(wire_client& c, const std::string& address, millis first, millis window) {
  std::vector<delivery> out;
  const auto deadline = clock_type::now() + first;
  while (out.empty()) {
    auto m = c.recv(left_until(deadline));
    if (!m) return out;
    collect_deliveries(*m, address, out);
  }
  for (const auto& m : c.collect(window)) collect_deliveries(m, address, out);
  return out;
}

std::string describe(const std::vector<delivery>& d) {
  std::ostringstream os;
  os << d.size() << " deliveries [";
  for (const auto& x : d) {
    os << " " << to_string(x.kind) << " " << to_string(x.val);
    if (x.revision) os << " rev " << *x.revision;
    os << ";";
  }
  os << " ]";
  return os.str();
}

void expect_serves_clients(std::uint16_t port) {
  auto c = client_at(port, "still-alive");
  auto rev = set_ok(*c, "/fedtest/alive", 42);
  EXPECT_GT(rev, 0u) << "router on port " << port << " stopped serving clients";
  auto p = get_param(*c, "/fedtest/alive");
  ASSERT_TRUE(p.has_value()) << "GET after SET failed on port " << port;
  EXPECT_EQ(p->val, value(42));
}

bool raw_peer::join(std::uint16_t port, const std::string& token) {
  if (!c_.connect(port)) {
    ADD_FAILURE() << "peer connect: " << c_.last_error();
    return false;
  }
  auto w = c_.hello("hostile-peer", test::client_features | feature::federation, token);
  return !w.session.empty();
}

std::optional<message> raw_peer::declare(const std::vector<std::string>& patterns, const std::string& origin) {
  if (!c_.send(fed_sync(federation_op::declare_namespaces, patterns, origin))) return std::nullopt;
  const auto deadline = clock_type::now() + test::default_timeout;
  for (;;) {
    auto m = c_.recv(left_until(deadline));
    if (!m) return std::nullopt;
    if (m->is<msg::ack>() || m->is<msg::error>()) return m;
  }
}

bool raw_peer::join_as(std::uint16_t port, const std::string& id, const std::vector<std::string>& patterns) {
  if (!join(port)) return false;
  auto reply = declare(patterns, id);
  if (!reply || !reply->is<msg::ack>()) {
    ADD_FAILURE() << "declaration of '" << id << "' not ACKed: "
                  << (reply ? test::describe(*reply) : std::string("no reply"));
    return false;
  }
  // The hub asks for our state; we have none.
  auto req = c_.recv_until<msg::federation_sync>(
      [](const msg::federation_sync& f) { return f.op == federation_op::request_sync; });
  if (!req) {
    ADD_FAILURE() << "hub never sent RequestSync to '" << id << "'";
    return false;
  }
  auto done = fed_sync(federation_op::sync_complete, req->patterns, id);
  done.since_revision = 0;
  return c_.send(done);
}

std::optional<msg::error> raw_peer::next_error(millis timeout) {
  return c_.recv_until<msg::error>([](const msg::error&) { return true; }, timeout);
}

msg::federation_sync fed_sync(federation_op op, std::vector<std::string> patterns,
                              std::optional<std::string> origin) {
  msg::federation_sync f;
  f.op = op;
  f.patterns = std::move(patterns);
  f.origin = std::move(origin);
  return f;
}

}  // namespace clasp::fedtest
