// libFuzzer entry: a whole router session in-process. One router_core (router
// id "self", owning /own/**) has two clients, two inbound federation peers and
// one upstream link; the input is a script of frames for them plus timer and
// socket events. Each session starts the way the session and peer link actors start it (HELLO,
// then a peer's DeclareNamespaces builds the routing table), so arbitrary
// frames reach the client and the federation paths of the core. Invariants:
// no sanitizer report, every frame the router sends decodes, the session
// count matches what is attached.
//
// Input: records of [selector][payload]. selector < 0x80: a frame for session
// (selector % 5), its length in the next two bytes (little endian); selector
// >= 0x80: an event (see apply_event), no payload.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "actors/federation/namespace_registry.hpp"
#include "actors/router/router_core.hpp"
#include "messages/codec.hpp"
#include "transport/connection.hpp"

namespace {

using namespace clasp;
using router::session_id_t;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_session invariant broken: %s\n", what);
    std::abort();
  }
}

// Checks what the router sends; can pretend to be a socket that does not drain.
class checking_connection : public transport::connection {
 public:
  void start(std::shared_ptr<transport::connection_handler>) override {}
  void send(transport::frame_ptr frame, transport::send_class, std::string_view) override {
    codec::decoded_frame f;
    codec::decode_error err;
    require(frame && codec::decode_frame(*frame, f, err), "every frame the router sends decodes");
    if (holding) queued += frame->size();
  }
  void close(std::uint16_t, std::string) override { closed = true; }
  void abort() override { closed = true; }
  void set_limits(const transport::outbound_limits&) override {}
  transport::connection_stats stats() const override {
    transport::connection_stats s;
    s.bytes_queued = queued;
    return s;
  }
  std::string remote_endpoint() const override { return "fuzz"; }

  bool holding = false;
  std::size_t queued = 0;
  bool closed = false;
};

enum class kind { client, inbound_peer, upstream };

constexpr std::array<kind, 5> session_kinds{kind::client, kind::client, kind::inbound_peer,
                                            kind::inbound_peer, kind::upstream};

// One router with its sessions, driven the way the session and link actors and the
// federation manager drive the store (declarations, routing updates, syncs).
class harness {
 public:
  harness() : core_(config()), registry_("self", {"/own/**"}) {
    core_.pin_clock(now_us_);
    publish_routing();
    for (std::size_t i = 0; i < session_kinds.size(); ++i) open(i);
  }
  ~harness() { core_.close_all(1001, "fuzz input done"); }

  void frame(std::size_t index, std::string_view bytes) {
    auto& s = sessions_[index];
    if (!s.conn) return;  // detached until a reopen event
    codec::decoded_frame f;
    codec::decode_error err;
    if (!codec::decode_frame(bytes, f, err)) {
      core_.send_error(id_of(index), err.code, err.reason);
      return;
    }
    if (session_kinds[index] == kind::inbound_peer) {
      auto* fs = std::get_if<msg::federation_sync>(&f.msg.body);
      if (fs && fs->op == federation_op::declare_namespaces) return declare_inbound(index, *fs);
      if (s.peer_router.empty() && fs) {  // nothing but pings before the declaration
        core_.send_error(id_of(index), error_code::federation_refused,
                         "FEDERATION_SYNC before DeclareNamespaces was accepted");
        return;
      }
    }
    if (session_kinds[index] == kind::upstream) {
      auto* fs = std::get_if<msg::federation_sync>(&f.msg.body);
      if (fs && fs->op == federation_op::declare_namespaces) {
        registry_.declare_upstream(fs->origin.value_or("hub"), id_of(index), fs->patterns);
        publish_routing();
        core_.request_sync(id_of(index), fs->patterns);
        return;
      }
    }
    core_.handle(id_of(index), std::move(f.msg), f.header.quality);
  }

  // 0x80..0xFF: bits 0-2 pick the session, bits 3-6 the event.
  void apply_event(std::uint8_t selector) {
    const std::size_t index = (selector & 0x07) % session_kinds.size();
    switch ((selector >> 3) & 0x0F) {
      case 0:
        core_.pump_syncs();
        break;
      case 1:
        now_us_ += 1'000'000;  // TTLs and lock leases
        core_.pin_clock(now_us_);
        core_.expire_due(now_us_);
        break;
      case 2:
        now_us_ += 10'000'000;  // past the forward timeout
        core_.pin_clock(now_us_);
        core_.fail_stale_forwards(now_us_);
        break;
      case 3:
        close(index);
        break;
      case 4:
        close(index);
        open(index);
        break;
      case 5:
        if (auto& c = sessions_[index].conn) c->holding = true;  // the socket stops draining
        break;
      case 6:
        if (auto& c = sessions_[index].conn) {
          c->holding = false;
          c->queued = 0;
          core_.pump_syncs();
        }
        break;
      default:
        break;
    }
  }

  void check() const { require(core_.session_count() == open_count(), "session count matches"); }

 private:
  struct session {
    std::shared_ptr<checking_connection> conn;
    std::string peer_router;  // inbound peer: the router id it declared
    std::uint32_t generation = 0;
  };

  static router::router_config config() {
    router::router_config cfg;
    cfg.router_id = "self";
    cfg.max_subscriptions = 64;
    return cfg;
  }
  // Each reopen gets a new session id, as a reconnect does.
  session_id_t id_of(std::size_t index) const {
    return 1 + index + 8 * sessions_[index].generation;
  }

  void open(std::size_t index) {
    auto& s = sessions_[index];
    s.conn = std::make_shared<checking_connection>();
    s.peer_router.clear();
    const auto id = id_of(index);
    // The HELLO -> WELCOME step of the session actor (and of the peer link for the upstream).
    switch (session_kinds[index]) {
      case kind::client:
        core_.attach(id, "client-" + std::to_string(id), s.conn);
        break;
      case kind::inbound_peer:
        core_.attach(id, "peer-" + std::to_string(id), s.conn, router::session_role::inbound_peer);
        break;
      case kind::upstream:
        core_.attach(id, "upstream-" + std::to_string(id), s.conn, router::session_role::upstream);
        core_.mark_link(id, "hub");
        registry_.attach_upstream("hub", id);
        publish_routing();
        break;
    }
    msg::welcome w;
    w.version = 1;
    w.session = "s" + std::to_string(id);
    core_.send_to(id, w);
  }

  void close(std::size_t index) {
    auto& s = sessions_[index];
    if (!s.conn) return;
    const auto id = id_of(index);
    core_.detach(id);
    if (session_kinds[index] != kind::client) {
      registry_.link_closed(id);
      publish_routing();
    }
    s.conn.reset();
    ++s.generation;
  }

  void declare_inbound(std::size_t index, const msg::federation_sync& m) {
    auto& s = sessions_[index];
    const auto id = id_of(index);
    const std::string router_id = m.origin.value_or(std::string{});
    if (auto err = registry_.declare_inbound(router_id, id, m.patterns)) {
      core_.send_error(id, err->code, err->reason);
      return;
    }
    // A router id declared on another live session replaces it (the manager kills the old one).
    for (std::size_t other = 0; other < sessions_.size(); ++other)
      if (other != index && sessions_[other].conn && sessions_[other].peer_router == router_id)
        close(other);
    s.peer_router = router_id;
    core_.mark_link(id, router_id);
    publish_routing();
    core_.send_to(id, msg::ack{});
    msg::federation_sync back;
    back.op = federation_op::declare_namespaces;
    back.patterns = registry_.declaration_for(id);
    back.origin = "self";
    core_.send_to(id, back);
    core_.request_sync(id, m.patterns);
  }

  void publish_routing() { core_.set_routing(registry_.build()); }

  std::size_t open_count() const {
    std::size_t n = 0;
    for (const auto& s : sessions_) n += s.conn ? 1 : 0;
    return n;
  }

  std::uint64_t now_us_ = 1'700'000'000'000'000ull;
  router::router_core core_;
  federation::namespace_registry registry_;
  std::array<session, session_kinds.size()> sessions_;
};

}  // namespace

// The router logs every refusal; at millions of inputs that is only noise.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  harness h;
  std::size_t i = 0;
  while (i < size) {
    const std::uint8_t selector = data[i++];
    if (selector >= 0x80) {
      h.apply_event(selector);
    } else {
      if (i + 2 > size) break;
      std::size_t length = data[i] | (std::size_t(data[i + 1]) << 8);
      i += 2;
      if (length > size - i) length = size - i;
      h.frame(selector % session_kinds.size(),
              std::string_view(reinterpret_cast<const char*>(data + i), length));
      i += length;
    }
    h.check();
  }
  return 0;
}
