// Session actor: the HELLO, then a client's operations go to the state store
// as one batch per socket read (order kept, few hops); a federation peer's
// connection goes to its peer link actor.
#include "actors/router/session_actor.hpp"

#include <chrono>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/connection_bridge.hpp"
#include "actors/federation/peer_link_actor.hpp"
#include "actors/router/router_core.hpp"

namespace clasp::actors {

namespace {

enum class phase { awaiting_hello, client };

struct session_state {
  session_id_t id = 0;
  std::string name;
  transport::connection_ptr conn;
  session_deps deps;
  phase current = phase::awaiting_hello;
  bool closing = false;
  std::shared_ptr<session_bridge> bridge;
  // Set when a federation peer's connection went to its peer link: the
  // socket and the session id live on there, so this actor's end frees nothing.
  std::shared_ptr<bool> handed_over = std::make_shared<bool>(false);
};

using session_self = session_actor::stateful_pointer<session_state>;

// A connection that upgraded but sent no HELLO this long is closed: it holds
// a socket and a session and does nothing.
constexpr auto hello_timeout = std::chrono::seconds(10);

void send_direct(session_self self, const message& m) {
  if (auto f = router::make_frame(m)) self->state.conn->send(f);
}

void close_with_error(session_self self, std::uint16_t code, std::string text) {
  spdlog::info("session {} refused: {} {}", self->state.name, code, text);
  msg::error e;
  e.code = code;
  e.message = text;
  send_direct(self, e);
  self->state.closing = true;
  self->state.conn->close(1008, text.substr(0, 120));
}

void send_welcome(session_self self, bool federation_on) {
  auto& st = self->state;
  msg::welcome w;
  w.version = 1;
  w.features = st.deps.config->features | (federation_on ? feature::federation : 0);
  w.time_us = router::router_core::clock_now_us();
  w.session = st.name;
  w.name = st.deps.config->server_name;
  send_direct(self, w);
}

// A federation peer's HELLO was accepted: from the next frame on, the
// connection belongs to an inbound peer link, and this actor ends.
void hand_to_peer_link(session_self self, std::shared_ptr<transport::frame_batch> batch, std::size_t next) {
  auto& st = self->state;
  peer_link_deps deps;
  deps.store = st.deps.store;
  deps.manager = st.deps.manager;
  deps.config = st.deps.config;
  auto link = spawn_inbound_peer_link(self->system(), deps,
                                      inbound_handover{st.id, st.name, st.conn, st.bridge, std::move(batch), next});
  if (st.deps.on_peer_link) st.deps.on_peer_link(link);
  *st.handed_over = true;
  self->quit();
}

// Handles HELLO. Returns what became of the session: refused, a client, or a
// federation peer (whose link takes the rest of the read).
enum class hello_outcome { refused, client, peer };

hello_outcome on_hello(session_self self, const msg::hello& h) {
  auto& st = self->state;
  if (h.version != 1) {
    close_with_error(self, error_code::unsupported_version,
                     "unsupported protocol version " + std::to_string(h.version) + " (this router speaks 1)");
    return hello_outcome::refused;
  }
  const auto& fed = st.deps.config->federation;
  const bool wants_federation = (h.features & feature::federation) != 0;
  const bool federation_on = st.deps.manager && fed.mode != federation_mode::off;
  if (wants_federation && federation_on) {
    if (!fed.auth_token.empty() && h.token != fed.auth_token) {
      close_with_error(self, error_code::unauthorized,
                       h.token.empty() ? "federation token required" : "federation token rejected");
      return hello_outcome::refused;
    }
    send_welcome(self, federation_on);
    spdlog::info("session {} connected from {} (federation peer, name '{}')", st.name,
                 st.conn->remote_endpoint(), h.name);
    return hello_outcome::peer;
  }
  st.current = phase::client;
  self->send(st.deps.store, attach_session{st.id, st.name, st.conn, {}, router::session_role::client});
  send_welcome(self, federation_on);
  spdlog::info("session {} connected from {} (client, name '{}')", st.name, st.conn->remote_endpoint(), h.name);
  return hello_outcome::client;
}

void flush_ops(session_self self, std::shared_ptr<std::vector<decoded_op>>& ops) {
  if (ops && !ops->empty()) self->send(self->state.deps.store, op_batch{self->state.id, std::move(ops)});
  ops.reset();
}

void process_frames(session_self self, std::shared_ptr<transport::frame_batch> batch, std::size_t index) {
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
      msg::error e;
      e.code = err.code;
      e.message = err.reason;
      // Through the store, so it is ordered after replies still being computed.
      if (!ops) ops = std::make_shared<std::vector<decoded_op>>();
      ops->push_back({message{e}, codec::qos::fire, true});
      continue;
    }
    if (st.current == phase::awaiting_hello) {
      if (!f.msg.is<msg::hello>()) {
        close_with_error(self, error_code::invalid_message,
                         std::string("expected HELLO first, got ") + to_string(f.msg.type()));
        return;
      }
      switch (on_hello(self, f.msg.as<msg::hello>())) {
        case hello_outcome::refused:
          return;
        case hello_outcome::peer:
          return hand_to_peer_link(self, batch, i + 1);
        case hello_outcome::client:
          continue;
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
    self->send(st.deps.store, direct_route{st.id, st.bridge, false});
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
  st.deps = std::move(deps);
  // Whatever ends this actor (close, error, kill), the socket and the store's
  // view of the session go with it, unless a peer link took them over.
  auto conn_ref = st.conn;
  auto store = st.deps.store;
  auto id = st.id;
  auto name = st.name;
  auto handed_over = st.handed_over;
  self->attach_functor([conn_ref, store, id, name, handed_over](const caf::error& reason) {
    if (*handed_over) return;
    conn_ref->abort();
    caf::anon_send(store, detach_session{id});
    spdlog::info("session {} closed ({})", name, reason ? caf::to_string(reason) : "normal");
  });
  self->delayed_send(self, hello_timeout, hello_timeout_atom_v);
  return {
      [=](frames_in& in) { process_frames(self, std::move(in.batch), in.from); },
      [=](connection_closed& c) {
        spdlog::debug("session {}: connection closed: {}", self->state.name, c.reason);
        self->quit();
      },
      [=](sync_done&) {},  // only links sync
      [=](shutdown_atom) { self->state.conn->close(1001, "router shutting down"); },
      [=](hello_timeout_atom) {
        if (self->state.current != phase::awaiting_hello || self->state.closing) return;
        close_with_error(self, error_code::invalid_message,
                         "no HELLO within " + std::to_string(hello_timeout.count()) + " s of connecting");
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
  bridge->set_connection(conn_copy);
  conn_copy->start(std::move(bridge));
  return actor;
}

}  // namespace clasp::actors
