// The typed CAF interfaces of the federation actors: peer link (either end of
// a federation link), reconnect supervisor and federation manager (with the
// seed's query API).
// Messages are only declared here (defined in actors/actor_types.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/router/router_interfaces.hpp"

CAF_ADD_ATOM(clasp_actors, clasp::actors, retry_atom, "retry")
CAF_ADD_ATOM(clasp_actors, clasp::actors, kill_links_atom, "killlinks")
CAF_ADD_ATOM(clasp_actors, clasp::actors, peers_atom, "peers")
CAF_ADD_ATOM(clasp_actors, clasp::actors, peer_count_atom, "peercount")
CAF_ADD_ATOM(clasp_actors, clasp::actors, active_atom, "active")
CAF_ADD_ATOM(clasp_actors, clasp::actors, peer_info_atom, "peerinfo")
CAF_ADD_ATOM(clasp_actors, clasp::actors, peers_for_atom, "peersfor")
CAF_ADD_ATOM(clasp_actors, clasp::actors, should_fwd_atom, "shouldfwd")
CAF_ADD_ATOM(clasp_actors, clasp::actors, declare_fallback_atom, "declfallbk")
CAF_ADD_ATOM(clasp_actors, clasp::actors, reenable_atom, "reenable")
CAF_ADD_ATOM(clasp_actors, clasp::actors, standby_over_atom, "standbyend")
CAF_ADD_ATOM(clasp_actors, clasp::actors, kill_sessions_atom, "killsess")
CAF_ADD_ATOM(clasp_actors, clasp::actors, tracker_atom, "tracker")
CAF_ADD_ATOM(clasp_actors, clasp::actors, watch_peers_atom, "watchpeers")
CAF_ADD_ATOM(clasp_actors, clasp::actors, peers_changed_atom, "peerschg")
CAF_ADD_ATOM(clasp_actors, clasp::actors, stand_down_atom, "standdown")
CAF_ADD_ATOM(clasp_actors, clasp::actors, stand_down_over_atom, "sdownover")
CAF_ADD_ATOM(clasp_actors, clasp::actors, tell_neighbours_atom, "tellnbrs")

namespace clasp::actors {

struct link_connected;
struct link_connect_failed;
struct sync_done;
struct declare_request;
struct declare_reply;
struct upstream_declared;
struct link_closed;
struct peer_status;
struct register_supervisor;
struct link_routes;
struct route_advert_in;
struct link_ready;
struct sync_plan;

// One federation link, either end: connector results (outbound), its
// connection's reads, the store's "sync complete", the routes to announce,
// and its own heartbeat and fallback timers. `liveness_probe` PINGs the peer
// and answers whether anything came back within --federation-identity-probe-ms
// (`probe_check` is its own timer): asked when another link claims the same
// router id. `stand_down(true)`: the link is redundant (the registry no longer
// routes over it); it closes after a grace period that lets what is in
// flight arrive, unless `stand_down(false)` revokes that first
// (`stand_down_over` is its own timer).
using peer_link_actor =
    frame_sink_actor::extend<caf::reacts_to<link_connected>, caf::reacts_to<link_connect_failed>,
                             caf::reacts_to<link_routes>,
                             caf::reacts_to<heartbeat_atom>, caf::reacts_to<declare_fallback_atom>,
                             caf::replies_to<liveness_probe_atom>::with<bool>,
                             caf::reacts_to<probe_check_atom>,
                             caf::reacts_to<stand_down_atom, bool>,
                             caf::reacts_to<stand_down_over_atom, std::uint64_t>>;

// Owns the outbound links: their status reports, its own retry timer (slot
// index), fault injection and shutdown. Link deaths arrive as down messages.
using reconnect_supervisor_actor =
    caf::typed_actor<caf::reacts_to<retry_atom, std::uint64_t>, caf::reacts_to<peer_status>,
                     caf::reacts_to<standby_over_atom, std::string>,  // router id whose kept link went down
                     caf::reacts_to<kill_links_atom>, caf::reacts_to<reenable_atom>,
                     // Kills the outbound links to `peer` (all if empty); answers how many.
                     caf::replies_to<kill_links_atom, std::string>::with<std::uint32_t>,
                     caf::reacts_to<shutdown_atom>>;

// Decides what each link syncs and runs anti-entropy (see revision_tracker_actor.hpp).
using revision_tracker_actor =
    caf::typed_actor<caf::reacts_to<sync_plan>, caf::reacts_to<sync_tick_atom>>;

// The namespace authority and peer table, and the seed's query API.
using federation_manager_actor = caf::typed_actor<
    // Links and sessions.
    caf::replies_to<declare_request>::with<declare_reply>,  // an inbound peer's DeclareNamespaces
    caf::replies_to<upstream_declared>::with<bool>,         // answered once routing is pushed
    caf::reacts_to<link_closed>, caf::reacts_to<peer_status>, caf::reacts_to<register_supervisor>,
    caf::reacts_to<route_advert_in>, caf::reacts_to<link_ready>,
    caf::reacts_to<tell_neighbours_atom>,  // to itself: the changes of one mailbox drain, told once
    // Queries.
    caf::replies_to<peers_atom>::with<std::string>,  // JSON array behind GET /federation/peers
    caf::replies_to<peer_count_atom>::with<std::uint32_t>,
    caf::replies_to<active_atom>::with<std::vector<std::string>>,
    caf::replies_to<peer_info_atom, std::string>::with<std::string>,  // JSON object or "null"
    caf::replies_to<peers_for_atom, std::string, std::string>::with<std::vector<std::string>>,
    caf::replies_to<should_fwd_atom, std::string, std::string>::with<bool>,
    // Subscribes `watcher` to the peer table: answers it now, then sends it
    // (peers_changed_atom, table) after every change of a peer's state, until
    // the watcher ends. Ends with this actor: a restarted manager starts empty.
    caf::replies_to<watch_peers_atom, caf::actor>::with<std::string>,
    // Test-only fault injection: kills every link actor; answers the inbound count.
    caf::replies_to<kill_links_atom>::with<std::uint32_t>,
    // Kills the inbound sessions of `peer` (every inbound peer if empty); answers how many.
    caf::replies_to<kill_sessions_atom, std::string>::with<std::uint32_t>,
    // The tracker it runs (for fault injection), as an untyped handle.
    caf::replies_to<tracker_atom>::with<caf::actor>,
    // Operator action: outbound links that ended Failed try again (false: none configured).
    caf::replies_to<reenable_atom>::with<bool>>;

}  // namespace clasp::actors
