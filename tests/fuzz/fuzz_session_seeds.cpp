// Writes seed scripts for fuzz_session (format in fuzz_session.cpp): client
// traffic, a peer's declaration and owner updates, forwarded writes, syncs,
// a stalled socket. Usage: fuzz_session_seeds OUT_DIR
#include <cstdio>
#include <fstream>
#include <string>

#include "actors/router/router_core.hpp"
#include "messages/codec.hpp"

namespace {

using namespace clasp;

constexpr std::uint8_t client_a = 0, client_b = 1, peer_a = 2, peer_b = 3, upstream = 4;
// Events (fuzz_session.cpp, apply_event): 0x80 | event << 3 | session.
constexpr std::uint8_t pump = 0x80, tick = 0x88, forward_timeout = 0x90;
std::uint8_t reopen(std::uint8_t s) { return std::uint8_t(0x80 | 4 << 3 | s); }
std::uint8_t stall(std::uint8_t s) { return std::uint8_t(0x80 | 5 << 3 | s); }
std::uint8_t drain(std::uint8_t s) { return std::uint8_t(0x80 | 6 << 3 | s); }

class script {
 public:
  script& to(std::uint8_t session, const message& m, codec::qos q = codec::qos::confirm) {
    std::string frame;
    codec::encode_frame(m, {q, std::nullopt}, frame);
    bytes_ += char(session);
    bytes_ += char(frame.size() & 0xFF);
    bytes_ += char(frame.size() >> 8);
    bytes_ += frame;
    return *this;
  }
  script& event(std::uint8_t e) {
    bytes_ += char(e);
    return *this;
  }
  void write(const std::string& path) const { std::ofstream(path, std::ios::binary) << bytes_; }

 private:
  std::string bytes_;
};

msg::set set(std::string address, value v, std::optional<revision_t> rev = std::nullopt) {
  msg::set s;
  s.address = std::move(address);
  s.val = std::move(v);
  s.revision = rev;
  return s;
}
msg::subscribe subscribe(std::uint32_t id, std::string pattern) {
  msg::subscribe s;
  s.id = id;
  s.pattern = std::move(pattern);
  return s;
}
msg::federation_sync fed(federation_op op, std::vector<std::string> patterns,
                         std::optional<std::string> origin = {}) {
  msg::federation_sync f;
  f.op = op;
  f.patterns = std::move(patterns);
  f.origin = std::move(origin);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = std::string(argv[1]) + "/";

  msg::set locked = set("/own/lock", 1);
  locked.lock = true;
  msg::set expiring = set("/own/ttl", 2);
  expiring.ttl = ttl_spec{false, 1};
  msg::publish event;
  event.address = "/own/button";
  event.val = value(true);
  msg::bundle bundle;
  bundle.messages = {message{set("/own/b1", 1)}, message{event}};
  msg::get get;
  get.address = "/own/x";
  script()
      .to(client_a, subscribe(1, "/**"))
      .to(client_b, set("/own/x", 1.5))
      .to(client_b, locked)
      .to(client_a, set("/own/lock", 3))
      .to(client_b, expiring)
      .to(client_a, get)
      .to(client_b, event)
      .to(client_b, bundle)
      .event(tick)
      .event(tick)
      .to(client_a, msg::ping{})
      .write(dir + "clients");

  msg::federation_sync vector = fed(federation_op::revision_vector, {});
  vector.revisions = {{"/leaf/x", 3}, {"/leaf/y", 9}};
  msg::federation_sync since = fed(federation_op::request_sync, {"/leaf/**"});
  since.since_revision = 0;
  msg::snapshot snap;
  snap.params = {param_entry{"/leaf/s", value(7), 4, std::string("leaf-a"), std::nullopt}};
  msg::ack ack;
  ack.address = "/leaf/fwd";
  ack.revision = 2;
  script()
      .to(client_a, subscribe(1, "/**"))
      .to(peer_a, fed(federation_op::declare_namespaces, {"/leaf/**"}, "leaf-a"))
      .to(peer_a, set("/leaf/x", 1, 3))
      .to(peer_a, router::tombstone_set("/leaf/gone", 2))
      .to(client_b, set("/leaf/fwd", 5))
      .to(peer_a, ack)
      .to(client_b, set("/leaf/late", 6))
      .event(forward_timeout)
      .to(peer_a, vector)
      .to(peer_a, since)
      .to(peer_a, snap)
      .to(peer_b, fed(federation_op::declare_namespaces, {"/leaf/**"}, "leaf-b"))
      .to(peer_b, fed(federation_op::declare_namespaces, {"/other/**"}, "leaf-a"))
      .event(reopen(peer_a))
      .to(peer_a, fed(federation_op::declare_namespaces, {"/leaf/**"}, "leaf-a"))
      .write(dir + "peers");

  script()
      .to(upstream, fed(federation_op::declare_namespaces, {"/hub/**", "/far/**"}, "hub"))
      .to(upstream, set("/hub/a", 1, 1))
      .to(client_a, set("/far/b", 2))
      .to(upstream, fed(federation_op::request_sync, {"/own/**"}))
      .to(client_a, set("/own/c", 3))
      .write(dir + "upstream");

  script s;
  for (int i = 0; i < 40; ++i)
    s.to(client_b, set("/own/p/" + std::to_string(i), i), codec::qos::fire);
  s.to(peer_a, fed(federation_op::declare_namespaces, {"/leaf/**"}, "leaf-a"))
      .event(stall(client_a))
      .event(stall(peer_a))
      .to(client_a, subscribe(2, "/own/**"))
      .to(peer_a, fed(federation_op::request_sync, {"/own/**"}))
      .event(pump)
      .event(drain(client_a))
      .event(drain(peer_a))
      .event(pump)
      .write(dir + "stalled");
  return 0;
}
