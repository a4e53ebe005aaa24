// The messages actors exchange, and their CAF type announcements. Only actor
// .cpp files include this (it pulls in CAF). The typed interfaces that accept
// these messages are in actors/router/router_interfaces.hpp and
// actors/federation/federation_interfaces.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/type_id.hpp>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/federation/namespace_registry.hpp"
#include "actors/federation/peer_state.hpp"
#include "actors/federation/routing_table.hpp"
#include "actors/router/router_core.hpp"
#include "messages/codec.hpp"
#include "transport/connection.hpp"

namespace clasp::actors {

class session_bridge;

using session_id_t = std::uint64_t;

// Socket side -> session or peer link actor.
struct frames_in {
  std::shared_ptr<transport::frame_batch> batch;
  std::size_t from = 0;  // frames before this one were handled already (a handed-over read)
};
struct connection_closed {
  std::string reason;
};
// Connector result -> peer link actor.
struct link_connected {
  transport::connection_ptr conn;
};
struct link_connect_failed {
  std::string reason;
};

// Session or peer link actor -> state store.
struct decoded_op {
  message msg;
  codec::qos quality = codec::qos::fire;
  // True for an ERROR the router composed about an undecodable frame: the store
  // sends it to the session (in order with other replies) instead of handling it.
  bool reply_to_sender = false;
};
struct attach_session {
  session_id_t id = 0;
  std::string name;
  transport::connection_ptr conn;
  frame_sink_actor owner;  // told when a link's sync completes (null for client sessions)
  // Federation role: none, an inbound peer (hub side) or our outbound link to an upstream.
  router::session_role role = router::session_role::client;
};
struct detach_session {
  session_id_t id = 0;
};
struct op_batch {
  session_id_t id = 0;
  std::shared_ptr<std::vector<decoded_op>> ops;
};
// Session or peer link actor -> state store, when the session's reads may skip the
// actor: sent after everything else the session had for the store.
struct direct_route {
  session_id_t id = 0;
  std::shared_ptr<session_bridge> bridge;
  bool divert_declarations = false;  // see session_bridge::go_direct
};
struct mark_link {
  session_id_t id = 0;
  std::string router_id;
};
struct request_sync {
  session_id_t id = 0;
  std::vector<std::string> patterns;
  bool full = false;  // everything under `patterns`, not only what changed since the watermark
};
struct routing_update {
  federation::routing_ptr table;
};
// State store -> persistence actor: what changed since the last batch.
struct persist_batch {
  std::shared_ptr<std::vector<std::pair<std::string, router::param_record>>> params;
  std::map<std::string, router::sync_mark> watermarks;
  std::vector<std::string> erased;  // rows to delete (purged tombstones), before the params
  router::change_seq_t tombstone_horizon = 0;
  revision_t revision_floor = 0;
};
// Federation manager -> persistence actor: a peer's declared namespaces.
struct persist_namespaces {
  std::string router_id;
  std::vector<std::string> patterns;
};

// State store -> link actor.
struct sync_done {
  std::vector<std::string> patterns;
};

// Inbound peer link -> federation manager: the peer's DeclareNamespaces.
struct declare_request {
  session_id_t link = 0;
  std::string router_id;
  std::vector<std::string> patterns;
  peer_link_actor actor;  // where routes go, and whom to probe if another link claims the id
  federation::neighbour_hello hello;
};
struct declare_reply {
  std::uint16_t error = 0;  // 0 = accepted
  std::string reason;
  std::vector<std::string> declaration;  // what we declare back to the peer
  bool close = false;  // the refusal ends the session (its router id is taken)
};
// Outbound peer link -> federation manager: what the peer we connected to
// declared (or that it accepted our declaration).
struct upstream_declared {
  session_id_t link = 0;
  std::string router_id;
  std::vector<std::string> patterns;
  // False when sent on our declaration's ACK, before the upstream named itself:
  // routing is set up, but syncing waits (watermarks are kept per router id).
  bool named = true;
  federation::neighbour_hello hello;
  peer_link_actor actor;  // where route advertisements for this link go
};
// Inbound peer link -> manager: our ACK and declaration went out to the declared
// peer, so frames the store sends it from now on come after them.
struct link_ready {
  session_id_t link = 0;
};
// Manager -> revision tracker: what `link` leads to now (`closed`: it is gone).
struct sync_plan {
  session_id_t link = 0;
  std::string router_id;
  federation_link_actor actor;  // told sync_done when there is nothing to wait for
  std::vector<std::string> patterns;
  std::uint64_t claim_us = 0;  // the router's start as it declared it (0: another implementation)
  bool closed = false;
};
// Peer link -> manager: a neighbour's route advertisement.
struct route_advert_in {
  session_id_t link = 0;
  federation::route_advert advert;
};
struct link_closed {
  session_id_t link = 0;
};
// Manager -> peer link: what to tell the neighbour about routes: a new
// DeclareNamespaces (for another implementation's router, which learns what
// we reach only from it) and route advertisements (for ours).
struct link_routes {
  std::optional<std::vector<std::string>> declaration;
  std::vector<federation::route_advert> adverts;
};
// Any link -> manager: what /federation/peers shows.
struct peer_status {
  std::string key;  // endpoint URL for outbound links, "in:<link>" for inbound
  std::string router_id;
  federation::peer_state state = federation::peer_state::connecting;
  std::vector<std::string> namespaces;
  session_id_t link = 0;  // the link carrying it, once connected
  bool outbound = false;
  std::string endpoint;
  std::uint32_t reconnect_attempts = 0;
  std::string last_error;
  bool remove = false;  // inbound peer gone: drop the row
};
// App -> manager (leaf): where kill_links goes for outbound links.
struct register_supervisor {
  reconnect_supervisor_actor supervisor;
};

}  // namespace clasp::actors

#define CLASP_ACTOR_MESSAGE(type)                   \
  CAF_ADD_TYPE_ID(clasp_actors, (clasp::actors::type))

CAF_BEGIN_TYPE_ID_BLOCK(clasp_actors, caf::first_custom_type_id)
  CLASP_ACTOR_MESSAGE(frames_in)
  CLASP_ACTOR_MESSAGE(connection_closed)
  CLASP_ACTOR_MESSAGE(link_connected)
  CLASP_ACTOR_MESSAGE(link_connect_failed)
  CLASP_ACTOR_MESSAGE(attach_session)
  CLASP_ACTOR_MESSAGE(detach_session)
  CLASP_ACTOR_MESSAGE(op_batch)
  CLASP_ACTOR_MESSAGE(direct_route)
  CLASP_ACTOR_MESSAGE(mark_link)
  CLASP_ACTOR_MESSAGE(request_sync)
  CLASP_ACTOR_MESSAGE(routing_update)
  CLASP_ACTOR_MESSAGE(sync_done)
  CLASP_ACTOR_MESSAGE(declare_request)
  CLASP_ACTOR_MESSAGE(declare_reply)
  CLASP_ACTOR_MESSAGE(upstream_declared)
  CLASP_ACTOR_MESSAGE(link_closed)
  CLASP_ACTOR_MESSAGE(link_routes)
  CLASP_ACTOR_MESSAGE(route_advert_in)
  CLASP_ACTOR_MESSAGE(link_ready)
  CLASP_ACTOR_MESSAGE(sync_plan)
  CLASP_ACTOR_MESSAGE(peer_status)
  CLASP_ACTOR_MESSAGE(persist_batch)
  CLASP_ACTOR_MESSAGE(persist_namespaces)
  CLASP_ACTOR_MESSAGE(register_supervisor)
CAF_END_TYPE_ID_BLOCK(clasp_actors)

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::frames_in)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::connection_closed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::link_connected)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::link_connect_failed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::attach_session)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::direct_route)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::detach_session)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::op_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::mark_link)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::request_sync)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::routing_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::sync_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::declare_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::declare_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::upstream_declared)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::link_closed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::link_routes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::route_advert_in)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::link_ready)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::sync_plan)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::peer_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::persist_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::persist_namespaces)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(clasp::actors::register_supervisor)
