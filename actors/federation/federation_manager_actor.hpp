// The federation manager actor: owns the namespace registry and the peer table,
// pushes routing snapshots to the state store, re-declares namespaces to
// inbound peers when the set of peers changes, and answers the seed's queries
// (active_peers, peer_count, peer_info, should_forward, peers_for_address).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/federation/federation_interfaces.hpp"

namespace clasp::actors {

// The owners a registry knows (router id -> namespaces), kept outside it so
// that a restarted registry starts from what its predecessor knew rather than
// from what persistence held at process start; otherwise, until the links
// redeclare, it would take writes into those namespaces as local ones.
struct known_peers_book {
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> peers;
};

struct manager_options {
  std::uint32_t sync_interval_ms = 30000;  // anti-entropy period (0: none)
  std::uint64_t claim_us = 0;              // when our namespaces were claimed
  // The URLs we connect out to (leaf, mesh with peers listed): writes outside
  // our namespaces are refused until the first neighbour tells who owns what,
  // or until every one of them has failed once (then none can tell us soon,
  // and the router serves as a lone router until one does).
  std::vector<std::string> outbound_endpoints;
  std::shared_ptr<known_peers_book> book;  // updated on every change (may be null)
};

// `known_peers` (router id -> namespaces) come from persistence; `persistence`
// (may be null) is told every accepted declaration.
federation_manager_actor spawn_federation_manager(
    caf::actor_system& sys, state_store_actor store, std::string self_id,
    std::vector<std::string> own_namespaces,
    std::map<std::string, std::vector<std::string>> known_peers = {},
    persistence_actor persistence = {}, manager_options options = {});

}  // namespace clasp::actors
