// Session actor: handshake and per-session rules; everything else goes to the
// state store as one batch per socket read, so order is kept and hops are few.
#include "actors/router/session_actor.hpp"

#include <chrono>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/connection_bridge.hpp"
#include "actors/federation/link_state_machine.hpp"
#include "actors/federation/route_wire.hpp"
#include "actors/federation/sync_limits.hpp"
#include "actors/router/router_core.hpp"

namespace clasp::actors {

namespace {

enum class phase { awaiting_hello, client, peer };

struct session_state {
  session_id_t id = 0;
  std::string name;
  transport::connection_ptr conn;
  state_store_actor store;
  federation_manager_actor manager;
  node_config config;
  phase current = phase::awaiting_hello;
  std::string peer_router;
  std::vector<std::string> peer_namespaces;
  bool closing = false;
  std::shared_ptr<session_bridge> bridge;
  std::uint64_t peer_since_us = 0;  // when it became a federation peer (actor clock)
  // The link's PeerState, once HELLO made this session a federation peer.
  federation::link_state_machine link = federation::link_state_machine::inbound();
  // An identity probe in flight: when its PING went out, and who waits for the answer.
  std::uint64_t probe_sent_us = 0;
  std::vector<caf::typed_response_promise<bool>> probe_waiters;
};

using session_self = session_actor::stateful_pointer<session_state>;

// A federation peer is probed from this end too: a link whose far end went
// silent (a partition that leaves TCP open) must not stay Active here.
constexpr auto peer_heartbeat_interval = std::chrono::seconds(2);
constexpr std::uint64_t peer_silence_limit_us = 10'000'000;
// A connection that upgraded but sent no HELLO this long is closed: it holds
// a socket and a session and does nothing.
constexpr auto hello_timeout = std::chrono::seconds(10);
// How often an identity probe looks for the peer's answer.
constexpr auto probe_poll_interval = std::chrono::milliseconds(10);

// The actor clock: the steady clock the bridge stamps reads with, except
// under CAF's testing scheduler, where it is the virtual clock.
std::uint64_t clock_us(session_self self) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        self->clock().now().time_since_epoch())
                                        .count());
}

void send_direct(session_self self, const message& m) {
  if (auto f = router::make_frame(m)) self->state.conn->send(f);
}

void send_error_direct(session_self self, std::uint16_t code, std::string text) {
  msg::error e;
  e.code = code;
  e.message = std::move(text);
  send_direct(self, e);
}

void close_with_error(session_self self, std::uint16_t code, std::string text) {
  spdlog::info("session {} refused: {} {}", self->state.name, code, text);
  send_error_direct(self, code, text);
  self->state.closing = true;
  self->state.conn->close(1008, text.substr(0, 120));
}

void report_peer(session_self self) {
  auto& st = self->state;
  if (!st.manager) return;
  peer_status p;
  p.key = "in:" + std::to_string(st.id);
  p.link = st.id;
  p.router_id = st.peer_router;
  p.state = st.link.state();
  p.namespaces = st.peer_namespaces;
  p.outbound = false;
  p.endpoint = st.conn->remote_endpoint();
  self->send(st.manager, std::move(p));
}

// Handles HELLO; returns false if the session was refused.
bool on_hello(session_self self, const msg::hello& h) {
  auto& st = self->state;
  if (h.version != 1) {
    close_with_error(self, error_code::unsupported_version,
                     "unsupported protocol version " + std::to_string(h.version) + " (this router speaks 1)");
    return false;
  }
  const bool wants_federation = (h.features & feature::federation) != 0;
  const bool federation_on = st.manager && st.config.federation.mode != federation_mode::off;
  if (wants_federation && federation_on) {
    if (!st.config.federation.auth_token.empty() && h.token != st.config.federation.auth_token) {
      close_with_error(self, error_code::unauthorized,
                       h.token.empty() ? "federation token required" : "federation token rejected");
      return false;
    }
    st.current = phase::peer;
  } else {
    st.current = phase::client;
  }
  frame_sink_actor owner;
  if (st.current == phase::peer) owner = caf::actor_cast<frame_sink_actor>(self);
  self->send(st.store, attach_session{st.id, st.name, st.conn, owner,
                                      st.current == phase::peer ? router::session_role::inbound_peer
                                                                : router::session_role::client});
  msg::welcome w;
  w.version = 1;
  w.features = st.config.features | (federation_on ? feature::federation : 0);
  w.time_us = router::router_core::clock_now_us();
  w.session = st.name;
  w.name = st.config.server_name;
  send_direct(self, w);
  spdlog::info("session {} connected from {} ({}, name '{}')", st.name, st.conn->remote_endpoint(),
               st.current == phase::peer ? "federation peer" : "client", h.name);
  if (st.current == phase::peer) {
    report_peer(self);  // Handshaking
    st.peer_since_us = clock_us(self);
    // The peer's declaration lives in the registry: if the registry restarts,
    // this link closes and the peer reconnects and declares again.
    self->monitor(st.manager);
    self->set_down_handler([=](caf::down_msg&) {
      spdlog::warn("session {}: the namespace registry restarted: closing the link to '{}' so it "
                   "redeclares",
                   self->state.name, self->state.peer_router);
      self->state.conn->abort();
      self->quit();
    });
    self->delayed_send(self, peer_heartbeat_interval, heartbeat_atom_v);
  }
  return true;
}

void flush_ops(session_self self, std::shared_ptr<std::vector<decoded_op>>& ops) {
  if (ops && !ops->empty()) self->send(self->state.store, op_batch{self->state.id, std::move(ops)});
  ops.reset();
}

void process_frames(session_self self, std::shared_ptr<transport::frame_batch> batch,
                    std::size_t index);

// Our DeclareNamespaces towards this peer (what we reach, or our own
// namespaces when it speaks route advertisements).
void send_declaration(session_self self, std::vector<std::string> patterns) {
  msg::federation_sync back;
  back.op = federation_op::declare_namespaces;
  back.patterns = std::move(patterns);
  back.origin = self->state.config.federation.router_id;
  federation::add_route_capability(back, self->state.config.federation.claim_us);
  send_direct(self, back);
}

// A peer's DeclareNamespaces: the manager validates it; the rest of this read
// waits for the answer so later operations see the new routing. The manager
// decides what to sync and tells us when the link is Active.
void on_declare(session_self self, const msg::federation_sync& m,
                std::shared_ptr<transport::frame_batch> batch, std::size_t next) {
  auto& st = self->state;
  std::string router_id = m.origin.value_or(std::string{});
  declare_request req{st.id, router_id, m.patterns, caf::actor_cast<session_actor>(self),
                      federation::read_route_capability(m)};
  self->request(st.manager, std::chrono::seconds(10), std::move(req))
      .await(
          [=](declare_reply& reply) {
            auto& st = self->state;
            if (reply.error != 0) {
              spdlog::warn("session {}: DeclareNamespaces from '{}' refused: {}", st.name, router_id,
                           reply.reason);
              if (reply.close) {
                close_with_error(self, reply.error, reply.reason);
                return;
              }
              send_error_direct(self, reply.error, reply.reason);
            } else {
              st.peer_router = router_id;
              st.peer_namespaces = m.patterns;
              msg::ack a;
              send_direct(self, a);
              send_declaration(self, std::move(reply.declaration));
              self->send(st.manager, link_ready{st.id});
              st.link.on(federation::link_event::declared);
              report_peer(self);  // also when only the namespaces changed
              spdlog::info("federation peer '{}' declared {} namespace(s)", router_id, m.patterns.size());
            }
            process_frames(self, batch, next);
          },
          [=](caf::error& err) {
            send_error_direct(self, error_code::internal,
                              "namespace registry did not answer: " + caf::to_string(err));
            process_frames(self, batch, next);
          });
}

// A route advertisement: only a declared peer of ours may send one.
void on_route_advert(session_self self, const msg::federation_sync& m) {
  auto& st = self->state;
  auto advert = federation::from_wire(m);
  if (st.peer_router.empty()) {
    send_error_direct(self, error_code::federation_refused,
                      "route advertisement before DeclareNamespaces was accepted");
  } else if (!advert) {
    send_error_direct(self, error_code::bad_request, "malformed route advertisement");
  } else {
    self->send(st.manager, route_advert_in{st.id, std::move(*advert)});
  }
}

void process_frames(session_self self, std::shared_ptr<transport::frame_batch> batch,
                    std::size_t index) {
  auto& st = self->state;
  std::shared_ptr<std::vector<decoded_op>> ops;
  for (std::size_t i = index; i < batch->size() && !st.closing; ++i) {
    codec::decoded_frame f;
    codec::decode_error err;
    if (!codec::decode_frame(batch->frame(i), f, err)) {
      spdlog::info("session {}: undecodable frame: {}", st.name, err.reason);
      if (st.current == phase::awaiting_hello) {
        close_with_error(self, err.code, err.reason);
        return;
      }
      flush_ops(self, ops);  // keep the error in order with earlier replies
      msg::error e;
      e.code = err.code;
      e.message = err.reason;
      // Send through the store so it is ordered after replies still being computed.
      ops = std::make_shared<std::vector<decoded_op>>();
      ops->push_back({message{e}, codec::qos::fire, true});
      self->send(st.store, op_batch{st.id, std::move(ops)});
      ops.reset();
      continue;
    }
    if (st.current == phase::awaiting_hello) {
      if (!f.msg.is<msg::hello>()) {
        close_with_error(self, error_code::invalid_message,
                         std::string("expected HELLO first, got ") + to_string(f.msg.type()));
        return;
      }
      if (!on_hello(self, f.msg.as<msg::hello>())) return;
      continue;
    }
    if (st.current == phase::peer) {
      if (auto fs = std::get_if<msg::federation_sync>(&f.msg.body)) {
        // Limits before rights: an oversized message is a bad request from anyone.
        if (auto why = federation::sync_limit_violation(*fs)) {
          flush_ops(self, ops);
          send_error_direct(self, error_code::bad_request, *why);
          continue;
        }
      }
      if (auto fs = std::get_if<msg::federation_sync>(&f.msg.body);
          fs && fs->op == federation_op::declare_namespaces) {
        flush_ops(self, ops);
        on_declare(self, *fs, batch, i + 1);
        return;
      }
      if (auto fs = std::get_if<msg::federation_sync>(&f.msg.body);
          fs && fs->op == federation_op::route_advert) {
        flush_ops(self, ops);
        on_route_advert(self, *fs);
        continue;
      }
      if (st.peer_router.empty() && !f.msg.is<msg::ping>()) {
        // Nothing but pings is meaningful from a peer before its declaration.
        if (f.msg.is<msg::federation_sync>()) {
          flush_ops(self, ops);
          send_error_direct(self, error_code::federation_refused,
                            "FEDERATION_SYNC before DeclareNamespaces was accepted");
          continue;
        }
      }
    }
    if (!ops) ops = std::make_shared<std::vector<decoded_op>>();
    ops->push_back({std::move(f.msg), f.header.quality});
  }
  flush_ops(self, ops);
  if (st.closing) return;
  if (st.current == phase::client) {
    // From now on this client's reads go straight to the store's core, once
    // the store has handled what this actor sent it (the message keeps the order).
    self->send(st.store, direct_route{st.id, st.bridge, false});
  } else if (st.current == phase::peer && !st.peer_router.empty()) {
    // A declared peer's data goes straight to the core too; a new declaration
    // comes back here first.
    self->send(st.store, direct_route{st.id, st.bridge, /*divert_declarations=*/true});
  } else {
    st.bridge->next_to_owner();
  }
}

session_actor::behavior_type session_behavior(session_self self, session_deps deps,
                                              transport::connection_ptr conn,
                                              std::shared_ptr<session_bridge> bridge) {
  auto& st = self->state;
  st.bridge = std::move(bridge);
  st.id = next_session_id();
  st.name = session_name(st.id);
  st.conn = std::move(conn);
  st.store = deps.store;
  st.manager = deps.manager;
  st.config = *deps.config;
  // Whatever ends this actor (close, error, kill), the socket and the store's
  // view of the session go with it.
  auto conn_ref = st.conn;
  auto store = st.store;
  auto manager = st.manager;
  auto id = st.id;
  auto name = st.name;
  self->attach_functor([conn_ref, store, manager, id, name](const caf::error& reason) {
    conn_ref->abort();
    caf::anon_send(store, detach_session{id});
    if (manager) {
      caf::anon_send(manager, link_closed{id});
      peer_status gone;
      gone.key = "in:" + std::to_string(id);
      gone.remove = true;
      caf::anon_send(manager, std::move(gone));
    }
    spdlog::info("session {} closed ({})", name, reason ? caf::to_string(reason) : "normal");
  });
  self->delayed_send(self, hello_timeout, hello_timeout_atom_v);
  return {
      [=](frames_in& in) { process_frames(self, std::move(in.batch), 0); },
      [=](connection_closed& c) {
        spdlog::debug("session {}: connection closed: {}", self->state.name, c.reason);
        self->quit();
      },
      [=](sync_done&) {
        // The sync we asked for completed (or there was nothing to sync): steady state.
        if (self->state.current == phase::peer && self->state.link.on(federation::link_event::sync_done))
          report_peer(self);
      },
      [=](link_routes& r) {
        auto& st = self->state;
        if (st.current != phase::peer || st.peer_router.empty()) return;
        if (r.declaration) send_declaration(self, std::move(*r.declaration));
        for (const auto& advert : r.adverts) send_direct(self, federation::to_wire(advert));
      },
      [=](heartbeat_atom) {
        auto& st = self->state;
        if (st.current != phase::peer || st.closing) return;
        // Reads may bypass this actor (direct route): the bridge keeps the time.
        const auto last = std::max(st.peer_since_us, st.bridge->last_read_us());
        if (clock_us(self) - last > peer_silence_limit_us) {
          spdlog::warn("federation peer '{}' silent for 10 s: closing its link", st.peer_router);
          st.conn->abort();
          self->quit();
          return;
        }
        send_direct(self, msg::ping{});
        self->delayed_send(self, peer_heartbeat_interval, heartbeat_atom_v);
      },
      [=](shutdown_atom) { self->state.conn->close(1001, "router shutting down"); },
      [=](hello_timeout_atom) {
        if (self->state.current != phase::awaiting_hello || self->state.closing) return;
        close_with_error(self, error_code::invalid_message,
                         "no HELLO within " + std::to_string(hello_timeout.count()) + " s of connecting");
      },
      [=](liveness_probe_atom) -> caf::result<bool> {
        // Another link claims this peer's router id: is this one still alive?
        // Any read after our PING counts (the PONG, or traffic already under way).
        auto& st = self->state;
        if (st.current != phase::peer || st.closing) return false;
        auto promise = self->make_response_promise<bool>();
        st.probe_waiters.push_back(promise);
        if (st.probe_waiters.size() == 1) {  // concurrent claims share one probe
          st.probe_sent_us = clock_us(self);
          send_direct(self, msg::ping{});
          self->delayed_send(self, probe_poll_interval, probe_check_atom_v);
        }
        return promise;
      },
      [=](probe_check_atom) {
        auto& st = self->state;
        if (st.probe_waiters.empty()) return;
        const bool answered = st.bridge->last_read_us() > st.probe_sent_us;
        const bool expired =
            clock_us(self) - st.probe_sent_us >= std::uint64_t{st.config.federation.identity_probe_ms} * 1000;
        if (!answered && !expired) {
          self->delayed_send(self, probe_poll_interval, probe_check_atom_v);
          return;
        }
        for (auto& waiter : st.probe_waiters) waiter.deliver(answered);
        st.probe_waiters.clear();
      },
  };
}

}  // namespace

session_actor spawn_session(caf::actor_system& sys, const session_deps& deps,
                            transport::connection_ptr conn) {
  auto conn_copy = conn;
  auto bridge = std::make_shared<session_bridge>();
  auto actor = sys.spawn(session_behavior, deps, std::move(conn), bridge);
  bridge->set_session(actor);  // before reading starts: nothing races with it
  conn_copy->start(std::move(bridge));
  return actor;
}

}  // namespace clasp::actors
