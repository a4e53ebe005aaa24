// Peer link actor: the PeerState machine of an outbound link.
#include "actors/federation/peer_link_actor.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/connection_bridge.hpp"
#include "actors/errors.hpp"
#include "actors/federation/link_state_machine.hpp"
#include "actors/federation/route_wire.hpp"
#include "actors/router/router_core.hpp"
#include "transport/connector.hpp"

namespace clasp::actors {

namespace {

// Where the handshake is, inside the PeerState machine's Connecting and
// Handshaking (the machine itself says what to report).
enum class handshake_step { connecting, awaiting_welcome, awaiting_declare_ack, done };

constexpr auto heartbeat_interval = std::chrono::seconds(2);
constexpr std::uint64_t silence_limit_us = 10'000'000;  // no traffic this long: the hub is gone

struct link_state {
  peer_link_deps deps;
  std::string endpoint;
  handshake_step step = handshake_step::connecting;
  federation::link_state_machine fsm = federation::link_state_machine::outbound();
  session_id_t id = 0;
  transport::connection_ptr conn;
  std::string hub_id;
  std::vector<std::string> remote_patterns;
  std::string last_error;
  std::uint64_t connected_us = 0;
  std::shared_ptr<session_bridge> bridge;
  static inline const char* name = "peer_link";
  bool named = false;  // the hub told us its router id (its DeclareNamespaces origin)
  federation::neighbour_hello hello;  // what its DeclareNamespaces said about it
};

using link_self = peer_link_actor::stateful_pointer<link_state>;

// The actor clock: the steady clock the bridge stamps reads with, except
// under CAF's testing scheduler, where it is the virtual clock.
std::uint64_t now_us(link_self self) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        self->clock().now().time_since_epoch())
                                        .count());
}

void report(link_self self) {
  auto& st = self->state;
  peer_status p;
  p.key = st.endpoint;
  p.router_id = st.hub_id;
  p.state = st.fsm.state();
  p.namespaces = st.remote_patterns;
  p.outbound = true;
  p.endpoint = st.endpoint;
  p.last_error = st.last_error;
  if (st.step != handshake_step::connecting && st.step != handshake_step::awaiting_welcome) p.link = st.id;
  self->send(st.deps.supervisor, std::move(p));
}

// Feeds the machine; reports when the state changed.
void on_event(link_self self, federation::link_event e) {
  if (self->state.fsm.on(e)) report(self);
}

void send_direct(link_self self, const message& m, codec::qos q = codec::qos::confirm) {
  if (auto f = router::make_frame(m, q)) self->state.conn->send(f);
}

void fail(link_self self, std::string why, ec code = ec::link_down) {
  auto& st = self->state;
  spdlog::warn("federation link to {}: {}", st.endpoint, why);
  st.last_error = std::move(why);
  st.fsm.on(federation::link_event::lost);
  report(self);
  if (st.conn) st.conn->abort();
  self->quit(make_error(code, st.last_error));
}

void process_frames(link_self self, std::shared_ptr<transport::frame_batch> batch,
                    std::size_t index);

// Tells the manager what the hub can reach (or that our declaration was
// accepted); the rest of this read waits until the store has the new routing,
// so a RequestSync right behind it is judged against it.
void declare_upstream(link_self self, std::shared_ptr<transport::frame_batch> batch,
                      std::size_t next) {
  auto& st = self->state;
  self->request(st.deps.manager, std::chrono::seconds(10),
                upstream_declared{st.id, st.hub_id, st.remote_patterns, st.named, st.hello,
                                  caf::actor_cast<peer_link_actor>(self)})
      .await([=](bool) { process_frames(self, batch, next); },
             [=](caf::error& err) {
               fail(self, "federation manager did not answer: " + caf::to_string(err), ec::registry_unavailable);
             });
}

void process_frames(link_self self, std::shared_ptr<transport::frame_batch> batch,
                    std::size_t index) {
  auto& st = self->state;
  std::shared_ptr<std::vector<decoded_op>> ops;
  auto flush = [&] {
    if (ops && !ops->empty()) self->send(st.deps.store, op_batch{st.id, std::move(ops)});
    ops.reset();
  };
  for (std::size_t i = index; i < batch->size(); ++i) {
    codec::decoded_frame f;
    codec::decode_error err;
    if (!codec::decode_frame(batch->frame(i), f, err)) {
      // Answered like on every other session (and on the direct route): an
      // ERROR in its place, in order with the replies before it.
      spdlog::warn("federation link to {}: undecodable frame: {}", st.endpoint, err.reason);
      msg::error e;
      e.code = err.code;
      e.message = err.reason;
      if (st.step == handshake_step::connecting || st.step == handshake_step::awaiting_welcome) {
        send_direct(self, e, codec::qos::fire);  // the store does not know this session yet
      } else {
        if (!ops) ops = std::make_shared<std::vector<decoded_op>>();
        ops->push_back({message{e}, codec::qos::fire, true});
      }
      continue;
    }
    switch (st.step) {
      case handshake_step::connecting:
        break;
      case handshake_step::awaiting_welcome:
        if (auto w = std::get_if<msg::welcome>(&f.msg.body)) {
          st.hub_id = w->session;  // provisional, until the hub declares with its router id
          self->send(st.deps.store, attach_session{st.id, session_name(st.id), st.conn,
                                                   caf::actor_cast<peer_link_actor>(self),
                                                   router::session_role::upstream});
          self->send(st.deps.store, mark_link{st.id, st.hub_id});
          msg::federation_sync declare;
          declare.op = federation_op::declare_namespaces;
          declare.patterns = st.deps.config->federation.owned_namespaces;
          declare.origin = st.deps.config->federation.router_id;
          federation::add_route_capability(declare, st.deps.config->federation.claim_us);
          send_direct(self, declare);
          st.step = handshake_step::awaiting_declare_ack;
        } else if (auto e = std::get_if<msg::error>(&f.msg.body)) {
          return fail(self, "hub refused the handshake: " + std::to_string(e->code) + " " + e->message,
                      ec::handshake_refused);
        }
        continue;
      case handshake_step::awaiting_declare_ack:
        if (f.msg.is<msg::ack>()) {
          flush();
          st.step = handshake_step::done;
          on_event(self, federation::link_event::declared);
          // A hub of ours names itself right away; one that never does (another
          // implementation) is synced under its session id after a short wait.
          if (!st.named) self->delayed_send(self, std::chrono::seconds(1), declare_fallback_atom_v);
          return declare_upstream(self, batch, i + 1);
        }
        if (auto e = std::get_if<msg::error>(&f.msg.body)) {
          return fail(self, "hub refused our namespaces: " + std::to_string(e->code) + " " + e->message,
                      ec::handshake_refused);
        }
        break;  // anything else (e.g. the hub's own declaration) is handled below
      case handshake_step::done:
        break;
    }
    if (auto fs = std::get_if<msg::federation_sync>(&f.msg.body);
        fs && fs->op == federation_op::declare_namespaces) {
      flush();
      if (fs->origin && !fs->origin->empty()) st.hub_id = *fs->origin;
      st.named = true;
      st.remote_patterns = fs->patterns;
      st.hello = federation::read_route_capability(*fs);
      report(self);
      if (st.step == handshake_step::awaiting_declare_ack) continue;  // declared once the ACK is in
      return declare_upstream(self, batch, i + 1);
    }
    if (auto fs = std::get_if<msg::federation_sync>(&f.msg.body);
        fs && fs->op == federation_op::route_advert) {
      flush();
      if (auto advert = federation::from_wire(*fs))
        self->send(st.deps.manager, route_advert_in{st.id, std::move(*advert)});
      else
        spdlog::warn("federation link to {}: malformed route advertisement ignored", st.endpoint);
      continue;
    }
    if (!ops) ops = std::make_shared<std::vector<decoded_op>>();
    ops->push_back({std::move(f.msg), f.header.quality});
  }
  flush();
  // Once our declaration is in, data goes straight to the store; a new
  // declaration from the hub comes back here first.
  if (st.step == handshake_step::done)
    self->send(st.deps.store, direct_route{st.id, st.bridge, /*divert_declarations=*/true});
  else
    st.bridge->next_to_owner();
}

peer_link_actor::behavior_type link_behavior(link_self self, peer_link_deps deps,
                                             std::string endpoint) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.endpoint = std::move(endpoint);
  st.id = next_session_id();
  auto store = st.deps.store;
  auto manager = st.deps.manager;
  auto id = st.id;
  // The connection exists only after connect; keep a holder the functor can read.
  auto conn_holder = std::make_shared<transport::connection_ptr>();
  self->attach_functor([store, manager, id, conn_holder](const caf::error&) {
    if (*conn_holder) (*conn_holder)->abort();
    caf::anon_send(store, detach_session{id});
    caf::anon_send(manager, link_closed{id});
  });
  report(self);  // Connecting
  transport::connect_options opts;
  opts.timeout = std::chrono::milliseconds(5000);
  opts.verify_tls_peer = !st.deps.config->federation.tls_insecure;
  opts.tls_ca_file = st.deps.config->federation.tls_ca_file;
  auto me = caf::actor_cast<peer_link_actor>(self);
  auto done = [me](std::string error, transport::connection_ptr conn) {
    if (conn)
      caf::anon_send(me, link_connected{std::move(conn)});
    else
      caf::anon_send(me, link_connect_failed{std::move(error)});
  };
  if (st.deps.connector)
    st.deps.connector(st.endpoint, opts, std::move(done));
  else
    transport::connect(*st.deps.io, st.endpoint, opts, std::move(done));
  return {
      [=](link_connected& c) {
        auto& st = self->state;
        st.conn = std::move(c.conn);
        *conn_holder = st.conn;
        st.bridge = std::make_shared<session_bridge>();
        st.bridge->set_session(caf::actor_cast<frame_sink_actor>(self));
        st.conn->start(st.bridge);
        msg::hello hello;
        hello.version = 1;
        hello.features = st.deps.config->federation.features | feature::federation;
        hello.name = st.deps.config->federation.client_name;
        hello.token = st.deps.config->federation.auth_token;
        send_direct(self, hello);
        st.connected_us = now_us(self);
        st.step = handshake_step::awaiting_welcome;
        on_event(self, federation::link_event::transport_up);
        self->delayed_send(self, heartbeat_interval, heartbeat_atom_v);
      },
      [=](link_connect_failed& f) { fail(self, f.reason); },
      [=](frames_in& in) { process_frames(self, std::move(in.batch), 0); },
      [=](connection_closed& c) {
        fail(self, "connection closed" + (c.reason.empty() ? std::string{} : ": " + c.reason));
      },
      [=](sync_done&) {
        on_event(self, federation::link_event::sync_done);
      },
      [=](link_routes& r) {
        // Our declaration towards the upstream is our own namespaces and never
        // changes; routes to others travel as advertisements.
        auto& st = self->state;
        if (!st.conn) return;
        for (const auto& advert : r.adverts) send_direct(self, federation::to_wire(advert));
      },
      [=](declare_fallback_atom) {
        auto& st = self->state;
        if (st.named || !st.conn) return;
        st.named = true;  // the hub never named itself: its session id stands in
        caf::anon_send(st.deps.manager, upstream_declared{st.id, st.hub_id, st.remote_patterns, true, st.hello,
                                                          caf::actor_cast<peer_link_actor>(self)});
      },
      [=](heartbeat_atom) {
        auto& st = self->state;
        // Reads may bypass this actor (direct route): the bridge keeps the time.
        const auto last = std::max(st.connected_us, st.bridge ? st.bridge->last_read_us() : 0);
        if (now_us(self) - last > silence_limit_us)
          return fail(self, "hub silent for 10 s: link presumed dead", ec::peer_silent);
        send_direct(self, msg::ping{}, codec::qos::fire);
        self->delayed_send(self, heartbeat_interval, heartbeat_atom_v);
      },
  };
}

}  // namespace

peer_link_actor spawn_peer_link(caf::actor_system& sys, const peer_link_deps& deps,
                                std::string endpoint) {
  return sys.spawn(link_behavior, deps, std::move(endpoint));
}

}  // namespace clasp::actors
