// Sync scope: what a link asked us to sync, and what we asked it for, follow
// the routes.
//
// A router of ours that asked us for a namespace (RequestSync) gets its live
// changes from us too, even before our routing snapshot makes it a child in
// the owner's tree: its route to the owner may move onto us a moment before
// its advertisement says so. When its route moves away from us again it has
// a new path to the owner, and the tracker on its side asks that namespace in
// full should the route ever come back. We keep sending for
// off_route_grace_us, so nothing falls between the two paths while the
// switch travels, and then stop: otherwise every route change would leave a
// second copy of the owner's stream flowing to it for the rest of the link's
// life (applied once by revision, but paid for on every hop).
#include <algorithm>

#include "actors/router/router_core.hpp"
#include "messages/address.hpp"

namespace clasp::router {

namespace {
bool replicated_by(const federation::link_view& view, const std::string& pattern) {
  return std::any_of(view.replicas.begin(), view.replicas.end(),
                     [&](const std::string& r) { return covered_by(pattern, r); });
}
}  // namespace

void router_core::end_off_route_syncs(std::uint64_t now) {
  for (const auto& view : routing_->links) {
    // Another implementation's router is a tree leaf: what it asked for stays.
    if (!view.route_capable || view.standing_down) continue;
    auto* s = find(view.id);
    if (!s || s->synced_to.empty()) continue;
    auto& since = s->off_route_since;
    auto& synced = s->synced_to;
    synced.erase(std::remove_if(synced.begin(), synced.end(),
                                [&](const std::string& p) {
                                  if (replicated_by(view, p)) {
                                    since.erase(p);
                                    return false;
                                  }
                                  auto [it, fresh] = since.emplace(p, now);
                                  if (fresh || now - it->second < off_route_grace_us) return false;
                                  since.erase(it);
                                  return true;
                                }),
                 synced.end());
  }
}

void router_core::keep_requests_on_route(session_info& link) {
  auto& asked = link.requested_here;
  asked.erase(std::remove_if(asked.begin(), asked.end(),
                             [&](const std::string& p) { return !leads_to_owner(link, p); }),
              asked.end());
}

}  // namespace clasp::router
