// The typed CAF interfaces of the router's actors: state store, persistence,
// client/peer session, and what a connection's reads are delivered to.
// Messages are only declared here (defined in actors/actor_types.hpp), so this
// header stays light enough for other headers to hold typed handles.
#pragma once

#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>

// Atoms are plain aliases in CAF 0.17 (no type id); the project name is unused.
CAF_ADD_ATOM(clasp_actors, clasp::actors, tick_atom, "tick")
CAF_ADD_ATOM(clasp_actors, clasp::actors, persist_atom, "persist")
CAF_ADD_ATOM(clasp_actors, clasp::actors, pump_atom, "pump")
CAF_ADD_ATOM(clasp_actors, clasp::actors, shutdown_atom, "shutdown")
CAF_ADD_ATOM(clasp_actors, clasp::actors, stats_atom, "stats")
CAF_ADD_ATOM(clasp_actors, clasp::actors, sync_tick_atom, "synctick")
CAF_ADD_ATOM(clasp_actors, clasp::actors, heartbeat_atom, "heartbeat")
CAF_ADD_ATOM(clasp_actors, clasp::actors, kill_atom, "kill")
CAF_ADD_ATOM(clasp_actors, clasp::actors, liveness_probe_atom, "liveprobe")
CAF_ADD_ATOM(clasp_actors, clasp::actors, probe_check_atom, "probecheck")
CAF_ADD_ATOM(clasp_actors, clasp::actors, hello_timeout_atom, "hellotime")

namespace clasp::actors {

struct frames_in;
struct connection_closed;
struct attach_session;
struct detach_session;
struct op_batch;
struct direct_route;
struct mark_link;
struct request_sync;
struct routing_update;
struct persist_batch;
struct persist_namespaces;
struct link_routes;
struct sync_done;

// Whatever reads a connection: a session actor or a peer link. Both
// hear from the store when a sync they asked for (or answered) completed.
using frame_sink_actor = caf::typed_actor<caf::reacts_to<frames_in>, caf::reacts_to<connection_closed>,
                                          caf::reacts_to<sync_done>>;

// The one state store: attached connections, every operation in arrival order,
// routing snapshots, sync requests; `tick`/`persist` are its own timers.
using state_store_actor = caf::typed_actor<
    caf::reacts_to<attach_session>, caf::reacts_to<detach_session>, caf::reacts_to<op_batch>,
    caf::reacts_to<direct_route>,
    caf::reacts_to<mark_link>, caf::reacts_to<routing_update>, caf::reacts_to<request_sync>,
    caf::reacts_to<tick_atom>, caf::reacts_to<persist_atom>, caf::reacts_to<pump_atom>,
    caf::replies_to<shutdown_atom>::with<std::uint64_t>,  // sessions still attached
    caf::replies_to<stats_atom>::with<std::string>>;      // JSON counters

// Commits what the store and the manager hand it (a batch is answered once
// committed, true if the commit succeeded); `shutdown` answers after the
// final commit; `stats` answers batch counts, sizes and latencies as JSON. Its
// own `tick` forces committed data to disk every second.
using persistence_actor =
    caf::typed_actor<caf::replies_to<persist_batch>::with<bool>, caf::reacts_to<persist_namespaces>,
                     caf::reacts_to<tick_atom>, caf::reacts_to<pump_atom>,
                     caf::replies_to<shutdown_atom>::with<bool>,
                     caf::replies_to<stats_atom>::with<std::string>>;

// Either end of a federation link as the manager sees it: told what routes to
// announce, and that there was nothing to sync (so it is Active at once).
using federation_link_actor = caf::typed_actor<caf::reacts_to<link_routes>, caf::reacts_to<sync_done>>;

// One accepted connection until its HELLO: a client session from then on,
// or, for a federation peer, handed to a peer link actor (see
// actors/federation/peer_link_actor.hpp). `hello_timeout` is its own timer.
using session_actor = frame_sink_actor::extend<caf::reacts_to<shutdown_atom>, caf::reacts_to<hello_timeout_atom>>;

}  // namespace clasp::actors
