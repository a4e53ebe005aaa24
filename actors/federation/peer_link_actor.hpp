// One federation link, and one PeerState machine for it, whichever end we
// are. Outbound (we connect): Connecting -> Handshaking (HELLO -> WELCOME ->
// our DeclareNamespaces -> ACK) -> Syncing -> Active; it ends when its
// connection ends and the reconnect supervisor decides what comes next.
// Inbound (the peer connected): a session actor answers the peer's HELLO and
// hands the connection over; the link starts at Handshaking, waits for the
// peer's DeclareNamespaces, answers ACK and our declaration, then Syncing ->
// Active; when it ends it is cleaned up (the peer reconnects).
// Either end: relays route advertisements, PINGs every 2 s and closes after
// 10 s of silence, answers identity probes, and closes when the namespace
// registry that knows it ends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/node_config.hpp"
#include "actors/router/router_interfaces.hpp"
#include "transport/connector.hpp"

namespace clasp::actors {

class session_bridge;

struct peer_link_deps {
  state_store_actor store;
  federation_manager_actor manager;
  reconnect_supervisor_actor supervisor;  // outbound: receives peer_status updates
  std::shared_ptr<const node_config> config;
  transport::io_runtime* io = nullptr;
  // Opens the link's connection. Empty: transport::connect on `io`. Tests
  // put a fake here to drive the link without sockets.
  std::function<void(const std::string& url, const transport::connect_options&,
                     transport::connect_handler)>
      connector;
};

// Spawns an outbound link to `endpoint`; it connects at once.
peer_link_actor spawn_peer_link(caf::actor_system& sys, const peer_link_deps& deps,
                                std::string endpoint);

// An accepted connection whose HELLO asked for federation, as the session
// actor hands it over: WELCOME has gone out, and the session's read is
// finished from frame `next` of `batch` on (the bridge holds later reads
// until the link asks for them).
struct inbound_handover {
  std::uint64_t id = 0;  // the session id, kept: the peer saw it in WELCOME
  std::string name;
  transport::connection_ptr conn;
  std::shared_ptr<session_bridge> bridge;
  std::shared_ptr<transport::frame_batch> batch;
  std::size_t next = 0;
};

// Spawns the inbound end of a link (statuses go to deps.manager) and points
// the connection's reads at it.
peer_link_actor spawn_inbound_peer_link(caf::actor_system& sys, const peer_link_deps& deps,
                                        inbound_handover handover);

}  // namespace clasp::actors
