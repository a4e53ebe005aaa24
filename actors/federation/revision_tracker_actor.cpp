// Revision tracker actor: sync decisions per link (see the header).
#include "actors/federation/revision_tracker_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"

namespace clasp::actors {

namespace {

struct tracked_link {
  std::string router_id;
  federation_link_actor actor;
  std::vector<std::string> patterns;  // what it leads to now
  std::set<std::string> requested;    // asked for on this link
  bool settled = false;               // told Active, or a sync it waits for was requested
};

struct tracker_state {
  state_store_actor store;
  std::vector<std::string> own;
  std::uint32_t sync_interval_ms = 30000;
  std::map<session_id_t, tracked_link> links;
  // Patterns synced from each router this run: those are asked for "since our
  // watermark" from then on; a pattern new to a router is asked for in full,
  // because the watermark says nothing about it.
  std::map<std::string, std::set<std::string>> synced_from;
  // Start time each router last declared: a new one means it restarted, and
  // its change sequence (what our watermark counts) restarted with it.
  std::map<std::string, std::uint64_t> incarnations;
  std::set<std::string> own_restored_from;  // neighbours that sent our own namespaces back this run
  static inline const char* name = "revision_tracker";
};

using tracker_self = revision_tracker_actor::stateful_pointer<tracker_state>;

void sync_new_patterns(tracker_self self, session_id_t id, tracked_link& link) {
  auto& st = self->state;
  auto& synced = st.synced_from[link.router_id];
  // The watermark is one per router and moves with every SyncComplete from
  // it: once this link asked for anything, a pattern reached through it later
  // would be asked "since" a mark already past what changed while it was
  // unreachable that way, so only the link's first batch uses the watermark.
  const bool first_batch = link.requested.empty();
  std::vector<std::string> fresh, again;
  for (const auto& p : link.patterns) {
    if (!link.requested.insert(p).second) continue;
    (synced.insert(p).second || !first_batch ? fresh : again).push_back(p);
  }
  if (first_batch && !st.own.empty() && st.own_restored_from.insert(link.router_id).second) {
    // Once per run from every neighbour: our own state, in case we restarted
    // without it. The first neighbour alone is not enough: it may be a stale
    // replica while another holds newer revisions above what we number from.
    for (const auto& p : st.own)
      if (std::find(fresh.begin(), fresh.end(), p) == fresh.end()) fresh.push_back(p);
  }
  if (!again.empty()) self->send(st.store, request_sync{id, again, /*full=*/false});
  if (!fresh.empty()) self->send(st.store, request_sync{id, fresh, /*full=*/true});
  if (!fresh.empty() || !again.empty()) {
    link.settled = true;
  } else if (!link.settled) {
    link.settled = true;
    self->send(link.actor, sync_done{});
  }
}

// A router that restarted numbers its changes afresh: what we synced from its
// previous run is asked for in full again.
void note_incarnation(tracker_self self, const std::string& router_id, std::uint64_t claim_us) {
  if (claim_us == 0) return;  // another implementation: it does not say
  auto& known = self->state.incarnations[router_id];
  if (known != 0 && known != claim_us) self->state.synced_from.erase(router_id);
  known = claim_us;
}

revision_tracker_actor::behavior_type tracker_behavior(tracker_self self, state_store_actor store,
                                                       std::vector<std::string> own,
                                                       std::uint32_t sync_interval_ms) {
  auto& st = self->state;
  st.store = std::move(store);
  st.own = std::move(own);
  st.sync_interval_ms = sync_interval_ms;
  if (sync_interval_ms > 0)
    self->delayed_send(self, std::chrono::milliseconds(sync_interval_ms), sync_tick_atom_v);
  return {
      [=](sync_plan& plan) {
        auto& st = self->state;
        if (plan.closed) {
          st.links.erase(plan.link);
          return;
        }
        note_incarnation(self, plan.router_id, plan.claim_us);
        auto& link = st.links[plan.link];
        link.router_id = std::move(plan.router_id);
        link.actor = std::move(plan.actor);
        // A namespace whose route moved away from this link is asked for in
        // full when it comes back: meanwhile this link's router took changes
        // we were not sent, and the watermark moved past them. That holds on a
        // later link to the same router too, so it is no longer "synced from" it.
        auto& synced = st.synced_from[link.router_id];
        for (auto it = link.requested.begin(); it != link.requested.end();) {
          if (std::find(plan.patterns.begin(), plan.patterns.end(), *it) != plan.patterns.end()) {
            ++it;
            continue;
          }
          synced.erase(*it);
          it = link.requested.erase(it);
        }
        link.patterns = std::move(plan.patterns);
        sync_new_patterns(self, plan.link, link);
      },
      [=](sync_tick_atom) {
        // Anti-entropy: from every link, what changed since our watermark in
        // the namespaces it leads to (never our own: that would echo our writes).
        auto& st = self->state;
        for (const auto& [id, link] : st.links)
          if (!link.patterns.empty()) self->send(st.store, request_sync{id, link.patterns, false});
        self->delayed_send(self, std::chrono::milliseconds(st.sync_interval_ms), sync_tick_atom_v);
      },
  };
}

}  // namespace

revision_tracker_actor spawn_revision_tracker(caf::local_actor* parent, state_store_actor store,
                                              std::vector<std::string> own_namespaces,
                                              std::uint32_t sync_interval_ms) {
  return parent->spawn<caf::linked>(tracker_behavior, std::move(store), std::move(own_namespaces),
                                    sync_interval_ms);
}

}  // namespace clasp::actors
