// Spawns and monitors one peer link per configured endpoint; when a link goes
// down it schedules the next attempt with exponential backoff and jitter
// (delayed messages, never a sleeping thread); after max_reconnect_attempts
// consecutive failures the peer is Failed and stays so.
#pragma once

#include <functional>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/federation/peer_link_actor.hpp"

namespace clasp::actors {

// `jitter` draws the backoff's random part in [0, 1) (see backoff.hpp); empty:
// a randomly seeded generator. Tests pass fixed draws to assert exact delays.
reconnect_supervisor_actor spawn_reconnect_supervisor(caf::actor_system& sys, peer_link_deps deps,
                                                      std::function<double()> jitter = {});

}  // namespace clasp::actors
