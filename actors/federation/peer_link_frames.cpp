// What a peer link does with each frame its connection reads, at either end:
// the declaration exchange, route advertisements, the federation rules
// (limits before rights), and everything else in order to the state store.
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/connection_bridge.hpp"
#include "actors/federation/peer_link_state.hpp"
#include "actors/federation/route_wire.hpp"
#include "actors/federation/sync_limits.hpp"
#include "actors/router/router_core.hpp"

namespace clasp::actors::link_detail {

namespace {

// How long the namespace registry may take to answer a declaration.
constexpr auto registry_answer_timeout = std::chrono::seconds(10);

using op_list = std::shared_ptr<std::vector<decoded_op>>;

void push_op(op_list& ops, decoded_op op) {
  if (!ops) ops = std::make_shared<std::vector<decoded_op>>();
  ops->push_back(std::move(op));
}

void flush(link_self self, op_list& ops) {
  if (ops && !ops->empty()) self->send(self->state.deps.store, op_batch{self->state.id, std::move(ops)});
  ops.reset();
}

// Outbound: tells the manager what the upstream can reach (or that our
// declaration was accepted); the rest of this read waits until the store has
// the new routing, so a RequestSync right behind it is judged against it.
void declare_upstream(link_self self, std::shared_ptr<transport::frame_batch> batch, std::size_t next) {
  auto& st = self->state;
  self->request(st.deps.manager, registry_answer_timeout,
                upstream_declared{st.id, st.peer_id, st.peer_patterns, st.named, st.hello,
                                  caf::actor_cast<peer_link_actor>(self)})
      .await([=](bool) { process_frames(self, batch, next); },
             [=](caf::error& err) {
               fail(self, "federation manager did not answer: " + caf::to_string(err), ec::registry_unavailable);
             });
}

// Inbound: the manager validates the peer's declaration; the rest of this
// read waits for the answer so later operations see the new routing. The
// manager decides what to sync and tells us when the link is Active.
void declare_inbound(link_self self, const msg::federation_sync& m,
                     std::shared_ptr<transport::frame_batch> batch, std::size_t next) {
  auto& st = self->state;
  std::string router_id = m.origin.value_or(std::string{});
  declare_request req{st.id, router_id, m.patterns, caf::actor_cast<peer_link_actor>(self),
                      federation::read_route_capability(m)};
  self->request(st.deps.manager, registry_answer_timeout, std::move(req))
      .await(
          [=](declare_reply& reply) {
            auto& st = self->state;
            if (reply.error != 0) {
              spdlog::warn("federation link {}: DeclareNamespaces from '{}' refused: {}", st.session_label,
                           router_id, reply.reason);
              if (reply.close) return close_with_error(self, reply.error, reply.reason);
              send_error_direct(self, reply.error, reply.reason);
            } else {
              st.peer_id = router_id;
              st.peer_patterns = m.patterns;
              st.hello = federation::read_route_capability(m);
              send_direct(self, msg::ack{});
              send_declaration(self, std::move(reply.declaration));
              self->send(st.deps.manager, link_ready{st.id});
              st.step = handshake_step::declared;
              st.fsm.on(federation::link_event::declared);
              report(self);  // also when only the namespaces changed
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

// Outbound, before our declaration's ACK: WELCOME, then the ACK. Returns
// true when `f` was consumed by the handshake; `stop` when this read must
// not go on here (the link failed, or waits for the manager).
bool outbound_handshake(link_self self, codec::decoded_frame& f, op_list& ops,
                        std::shared_ptr<transport::frame_batch> batch, std::size_t i, bool& stop) {
  auto& st = self->state;
  if (st.step == handshake_step::awaiting_welcome) {
    if (auto w = std::get_if<msg::welcome>(&f.msg.body)) {
      st.peer_id = w->session;  // provisional, until the hub declares with its router id
      self->send(st.deps.store, attach_session{st.id, session_name(st.id), st.conn,
                                               caf::actor_cast<frame_sink_actor>(self),
                                               router::session_role::upstream});
      self->send(st.deps.store, mark_link{st.id, st.peer_id});
      send_declaration(self, st.deps.config->federation.owned_namespaces);
      st.step = handshake_step::awaiting_declare_ack;
    } else if (auto e = std::get_if<msg::error>(&f.msg.body)) {
      fail(self, "hub refused the handshake: " + std::to_string(e->code) + " " + e->message,
           ec::handshake_refused);
      stop = true;
    }
    return true;  // nothing else means anything before WELCOME
  }
  if (st.step != handshake_step::awaiting_declare_ack) return false;
  if (f.msg.is<msg::ack>()) {
    flush(self, ops);
    st.step = handshake_step::declared;
    on_event(self, federation::link_event::declared);
    // A hub of ours names itself right away; one that never does (another
    // implementation) is synced under its session id after a short wait.
    if (!st.named) self->delayed_send(self, std::chrono::seconds(1), declare_fallback_atom_v);
    declare_upstream(self, batch, i + 1);
    stop = true;
    return true;
  }
  if (auto e = std::get_if<msg::error>(&f.msg.body)) {
    fail(self, "hub refused our namespaces: " + std::to_string(e->code) + " " + e->message,
         ec::handshake_refused);
    stop = true;
    return true;
  }
  return false;  // anything else (e.g. the hub's own declaration) is handled as usual
}

// Federation operations are meaningful once the peer may send them: inbound
// after its declaration was accepted, outbound once the hub welcomed us.
bool peer_may_sync(const link_state& st) {
  if (st.outbound) return st.step == handshake_step::awaiting_declare_ack || st.step == handshake_step::declared;
  return st.step == handshake_step::declared;
}

}  // namespace

void process_frames(link_self self, std::shared_ptr<transport::frame_batch> batch, std::size_t index) {
  auto& st = self->state;
  op_list ops;
  for (std::size_t i = index; i < batch->size() && !st.closing; ++i) {
    codec::decoded_frame f;
    codec::decode_error err;
    if (!codec::decode_frame(batch->frame(i), f, err)) {
      // Answered like on every other session: an ERROR in its place, in
      // order with the replies before it.
      spdlog::warn("federation link {}: undecodable frame: {}", st.endpoint, err.reason);
      msg::error e;
      e.code = err.code;
      e.message = err.reason;
      if (st.step == handshake_step::connecting || st.step == handshake_step::awaiting_welcome)
        send_direct(self, e, codec::qos::fire);  // the store does not know this link yet
      else
        push_op(ops, {message{e}, codec::qos::fire, true});
      continue;
    }
    if (st.outbound) {
      bool stop = false;
      if (outbound_handshake(self, f, ops, batch, i, stop)) {
        if (stop) return;
        continue;
      }
    }
    if (auto fs = std::get_if<msg::federation_sync>(&f.msg.body)) {
      // Limits before rights: an oversized message is a bad request from anyone.
      if (auto why = federation::sync_limit_violation(*fs)) {
        flush(self, ops);
        send_error_direct(self, error_code::bad_request, *why);
        continue;
      }
      if (fs->op == federation_op::declare_namespaces) {
        flush(self, ops);
        if (!st.outbound) return declare_inbound(self, *fs, batch, i + 1);
        if (fs->origin && !fs->origin->empty()) st.peer_id = *fs->origin;
        st.named = true;
        st.peer_patterns = fs->patterns;
        st.hello = federation::read_route_capability(*fs);
        report(self);
        if (st.step == handshake_step::awaiting_declare_ack) continue;  // declared once the ACK is in
        return declare_upstream(self, batch, i + 1);
      }
      if (!peer_may_sync(st)) {
        flush(self, ops);
        send_error_direct(self, error_code::federation_refused,
                          fs->op == federation_op::route_advert
                              ? "route advertisement before DeclareNamespaces was accepted"
                              : "FEDERATION_SYNC before DeclareNamespaces was accepted");
        continue;
      }
      if (fs->op == federation_op::route_advert) {
        flush(self, ops);
        if (auto advert = federation::from_wire(*fs)) {
          self->send(st.deps.manager, route_advert_in{st.id, std::move(*advert)});
        } else {
          spdlog::warn("federation link {}: malformed route advertisement", st.endpoint);
          send_error_direct(self, error_code::bad_request, "malformed route advertisement");
        }
        continue;
      }
    }
    push_op(ops, {std::move(f.msg), f.header.quality});
  }
  flush(self, ops);
  if (st.closing) return;
  // Once declared, data goes straight to the store; a new declaration (or a
  // route advertisement) comes back here first.
  if (st.step == handshake_step::declared)
    self->send(st.deps.store, direct_route{st.id, st.bridge, /*divert_declarations=*/true});
  else
    st.bridge->next_to_owner();
}

}  // namespace clasp::actors::link_detail
