// The peer table as operators see it (GET /federation/peers, GET /status,
// /metrics): the federation manager's rows plus each link's traffic and sync
// lag, which the store reads from the links' connections.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/router/router_interfaces.hpp"

namespace caf {
class actor_system;
}

namespace clasp::app {

// Adds "messages_in", "messages_out" and "sync_lag_s" to every row of `peers`
// (the manager's JSON array) from `store_stats["links"]`, matched by router id:
// numbers for a row whose link is connected, null otherwise (and sync_lag_s
// null until a sync over the link completed). Throws nlohmann::json::exception
// if `peers` is not an array.
nlohmann::json with_link_traffic(nlohmann::json peers, const nlohmann::json& store_stats);

// Asks the manager for its rows, then the store for the links' traffic (each
// with `timeout_ms`), and calls `done` once, from an actor thread: the merged
// JSON array text, or an empty string and the reason.
void gather_peer_table(caf::actor_system& sys, actors::federation_manager_actor manager,
                       actors::state_store_actor store, unsigned timeout_ms,
                       std::function<void(std::string table, std::string error)> done);

}  // namespace clasp::app
