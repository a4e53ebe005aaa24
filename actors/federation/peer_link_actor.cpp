// Peer link actor: its lifetime at either end (connect or hand-over, status
// reports, heartbeats, identity probes, cleanup). What it does with frames is
// in peer_link_frames.cpp.
#include "actors/federation/peer_link_actor.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/connection_bridge.hpp"
#include "actors/federation/peer_link_state.hpp"
#include "actors/federation/route_wire.hpp"
#include "actors/router/router_core.hpp"
#include "transport/connector.hpp"

namespace clasp::actors {

namespace link_detail {

namespace {

constexpr auto heartbeat_interval = std::chrono::seconds(2);
constexpr std::uint64_t silence_limit_us = 10'000'000;  // no traffic this long: the peer is gone
// How often an identity probe looks for the peer's answer.
constexpr auto probe_poll_interval = std::chrono::milliseconds(10);
// A redundant link stays open this long after both ends stopped routing over
// it: anything sent before that (an RTT at most) has arrived by then.
constexpr auto redundant_link_grace = std::chrono::seconds(1);

}  // namespace

std::uint64_t now_us(link_self self) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        self->clock().now().time_since_epoch())
                                        .count());
}

std::string status_key(const link_state& st) {
  return st.outbound ? st.endpoint : "in:" + std::to_string(st.id);
}

void report(link_self self) {
  auto& st = self->state;
  peer_status p;
  p.key = status_key(st);
  p.router_id = st.peer_id;
  p.state = st.fsm.state();
  p.namespaces = st.peer_patterns;
  p.outbound = st.outbound;
  p.endpoint = st.endpoint;
  p.last_error = st.last_error;
  const bool attached = !(st.step == handshake_step::connecting || st.step == handshake_step::awaiting_welcome);
  if (attached) p.link = st.id;
  if (st.outbound)
    self->send(st.deps.supervisor, std::move(p));
  else if (st.deps.manager)
    self->send(st.deps.manager, std::move(p));
}

void on_event(link_self self, federation::link_event e) {
  if (self->state.fsm.on(e)) report(self);
}

void send_direct(link_self self, const message& m, codec::qos q) {
  if (auto f = router::make_frame(m, q)) self->state.conn->send(f);
}

void send_error_direct(link_self self, std::uint16_t code, std::string text) {
  msg::error e;
  e.code = code;
  e.message = std::move(text);
  send_direct(self, e);
}

void send_declaration(link_self self, std::vector<std::string> patterns) {
  msg::federation_sync declare;
  declare.op = federation_op::declare_namespaces;
  declare.patterns = std::move(patterns);
  declare.origin = self->state.deps.config->federation.router_id;
  federation::add_route_capability(declare, self->state.deps.config->federation.claim_us);
  send_direct(self, declare);
}

void close_with_error(link_self self, std::uint16_t code, std::string text) {
  auto& st = self->state;
  spdlog::info("federation link {} refused: {} {}", st.session_label, code, text);
  send_error_direct(self, code, text);
  st.closing = true;
  st.last_error = text;
  st.conn->close(1008, text.substr(0, 120));
}

void fail(link_self self, std::string why, ec code) {
  auto& st = self->state;
  if (st.outbound)
    spdlog::warn("federation link to {}: {}", st.endpoint, why);
  else
    spdlog::info("federation link {} from '{}' ({}): {}", st.session_label, st.peer_id, st.endpoint, why);
  st.last_error = std::move(why);
  st.fsm.on(federation::link_event::lost);
  report(self);
  if (st.conn) st.conn->abort();
  self->quit(make_error(code, st.last_error));
}

namespace {

// Whatever ends the link (close, error, kill), its socket and the store's
// and the registry's view of it go with it.
void clean_up_on_exit(link_self self, std::shared_ptr<transport::connection_ptr> conn_holder) {
  auto& st = self->state;
  auto store = st.deps.store;
  auto manager = st.deps.manager;
  auto id = st.id;
  auto outbound = st.outbound;
  auto key = status_key(st);
  self->attach_functor([store, manager, id, outbound, key, conn_holder](const caf::error&) {
    if (*conn_holder) (*conn_holder)->abort();
    caf::anon_send(store, detach_session{id});
    if (!manager) return;
    caf::anon_send(manager, link_closed{id});
    if (!outbound) {  // an inbound row leaves the table; an outbound one is the supervisor's
      peer_status gone;
      gone.key = key;
      gone.remove = true;
      caf::anon_send(manager, std::move(gone));
    }
  });
}

// A link lives no longer than the registry that knows its declaration: when
// the registry restarts, the link closes and the peer (or our supervisor)
// reconnects and declares again.
void close_with_registry(link_self self) {
  if (!self->state.deps.manager) return;
  self->monitor(self->state.deps.manager);
  self->set_down_handler([=](caf::down_msg& down) {
    if (down.source != self->state.deps.manager.address()) return;
    fail(self, "the namespace registry restarted: closing the link so it redeclares",
         ec::registry_unavailable);
  });
}

peer_link_actor::behavior_type link_behavior(link_self self,
                                             std::shared_ptr<transport::connection_ptr> conn_holder) {
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
        st.up_since_us = now_us(self);
        st.step = handshake_step::awaiting_welcome;
        on_event(self, federation::link_event::transport_up);
        self->delayed_send(self, heartbeat_interval, heartbeat_atom_v);
      },
      [=](link_connect_failed& f) { fail(self, f.reason); },
      [=](frames_in& in) { process_frames(self, std::move(in.batch), in.from); },
      [=](connection_closed& c) {
        auto& st = self->state;
        if (st.closing && st.standing_down) return self->quit(make_error(ec::redundant_link, st.peer_id));
        if (st.closing) return self->quit();  // we refused it: the close is ours
        fail(self, "connection closed" + (c.reason.empty() ? std::string{} : ": " + c.reason));
      },
      [=](sync_done&) { on_event(self, federation::link_event::sync_done); },
      [=](link_routes& r) {
        auto& st = self->state;
        if (!st.conn || st.step != handshake_step::declared) return;
        // An outbound link's declaration is our own namespaces and never
        // changes; an inbound one may be what we reach (see the manager).
        if (r.declaration && !st.outbound) send_declaration(self, std::move(*r.declaration));
        for (const auto& advert : r.adverts) send_direct(self, federation::to_wire(advert));
      },
      [=](declare_fallback_atom) {
        auto& st = self->state;
        if (st.named || !st.conn) return;
        st.named = true;  // the hub never named itself: its session id stands in
        caf::anon_send(st.deps.manager, upstream_declared{st.id, st.peer_id, st.peer_patterns, true, st.hello,
                                                          caf::actor_cast<peer_link_actor>(self)});
      },
      [=](stand_down_atom, bool on) {
        auto& st = self->state;
        if (st.closing || st.standing_down == on) return;
        st.standing_down = on;
        if (on)
          self->delayed_send(self, redundant_link_grace, stand_down_over_atom_v, ++st.stand_down_generation);
      },
      [=](stand_down_over_atom, std::uint64_t generation) {
        auto& st = self->state;
        if (!st.standing_down || generation != st.stand_down_generation || st.closing || !st.conn) return;
        spdlog::info("federation link to '{}' ({}): redundant, closing it", st.peer_id, st.endpoint);
        st.closing = true;
        st.last_error = "redundant link";
        st.conn->close(1000, "redundant link");  // what is queued goes out first
      },
      [=](heartbeat_atom) {
        auto& st = self->state;
        if (st.closing) return;
        // Reads may bypass this actor (direct route): the bridge keeps the time.
        const auto last = std::max(st.up_since_us, st.bridge ? st.bridge->last_read_us() : 0);
        if (now_us(self) - last > silence_limit_us)
          return fail(self, "peer silent for 10 s: link presumed dead", ec::peer_silent);
        send_direct(self, msg::ping{}, codec::qos::fire);
        self->delayed_send(self, heartbeat_interval, heartbeat_atom_v);
      },
      [=](liveness_probe_atom) -> caf::result<bool> {
        // Another link claims this peer's router id: is this one still alive?
        // Any read after our PING counts (the PONG, or traffic already under way).
        auto& st = self->state;
        if (st.closing || !st.conn || !st.bridge) return false;
        auto promise = self->make_response_promise<bool>();
        st.probe_waiters.push_back(promise);
        if (st.probe_waiters.size() == 1) {  // concurrent claims share one probe
          st.probe_sent_us = now_us(self);
          st.probe_read_mark = st.bridge->last_read_us();
          send_direct(self, msg::ping{}, codec::qos::fire);
          self->delayed_send(self, probe_poll_interval, probe_check_atom_v);
        }
        return promise;
      },
      [=](probe_check_atom) {
        auto& st = self->state;
        if (st.probe_waiters.empty()) return;
        // A read stamped after the PING went out (the bridge's own clock).
        const bool answered = st.bridge->last_read_us() != st.probe_read_mark;
        const bool expired =
            now_us(self) - st.probe_sent_us >= std::uint64_t{st.deps.config->federation.identity_probe_ms} * 1000;
        if (!answered && !expired) {
          self->delayed_send(self, probe_poll_interval, probe_check_atom_v);
          return;
        }
        for (auto& waiter : st.probe_waiters) waiter.deliver(answered);
        st.probe_waiters.clear();
      },
  };
}

peer_link_actor::behavior_type outbound_link(link_self self, peer_link_deps deps, std::string endpoint) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.outbound = true;
  st.endpoint = std::move(endpoint);
  st.id = next_session_id();
  st.session_label = session_name(st.id);
  // The connection exists only after connect; keep a holder the cleanup can read.
  auto conn_holder = std::make_shared<transport::connection_ptr>();
  clean_up_on_exit(self, conn_holder);
  close_with_registry(self);
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
  return link_behavior(self, conn_holder);
}

peer_link_actor::behavior_type inbound_link(link_self self, peer_link_deps deps, inbound_handover in) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.outbound = false;
  st.fsm = federation::link_state_machine::inbound();
  st.step = handshake_step::awaiting_declaration;
  st.id = in.id;
  st.session_label = std::move(in.name);
  st.conn = std::move(in.conn);
  st.bridge = std::move(in.bridge);
  st.endpoint = st.conn->remote_endpoint();
  st.up_since_us = now_us(self);
  auto conn_holder = std::make_shared<transport::connection_ptr>(st.conn);
  clean_up_on_exit(self, conn_holder);
  close_with_registry(self);
  // From now on the connection's reads (and its close) reach this actor.
  st.bridge->hand_over(caf::actor_cast<frame_sink_actor>(self));
  self->send(st.deps.store, attach_session{st.id, st.session_label, st.conn,
                                           caf::actor_cast<frame_sink_actor>(self),
                                           router::session_role::inbound_peer});
  report(self);  // Handshaking
  self->delayed_send(self, heartbeat_interval, heartbeat_atom_v);
  // The rest of the session's read, in order, before any later read.
  if (in.batch && in.next < in.batch->size())
    self->send(self, frames_in{std::move(in.batch), in.next});
  else
    st.bridge->next_to_owner();
  return link_behavior(self, conn_holder);
}

}  // namespace

}  // namespace link_detail

peer_link_actor spawn_peer_link(caf::actor_system& sys, const peer_link_deps& deps, std::string endpoint) {
  return sys.spawn(link_detail::outbound_link, deps, std::move(endpoint));
}

peer_link_actor spawn_inbound_peer_link(caf::actor_system& sys, const peer_link_deps& deps,
                                        inbound_handover handover) {
  return sys.spawn(link_detail::inbound_link, deps, std::move(handover));
}

}  // namespace clasp::actors
