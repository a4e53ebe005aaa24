// Declaration rules (FEDERATION.md guarantee 9), path-vector route selection
// and routing-table construction.
#include "actors/federation/namespace_registry.hpp"

#include <algorithm>
#include <tuple>

#include "messages/address.hpp"

namespace clasp::federation {

namespace {

std::optional<declaration_error> check_patterns(const std::vector<std::string>& patterns) {
  if (patterns.size() > max_federation_patterns)
    return declaration_error{400, "too many namespace patterns: " + std::to_string(patterns.size()) +
                                      " (limit " + std::to_string(max_federation_patterns) + ")"};
  for (const auto& p : patterns)
    if (p.size() > 1024 || !is_valid_pattern(p))
      return declaration_error{400, "invalid namespace pattern '" + p.substr(0, 200) + "'"};
  return std::nullopt;
}

bool any_overlap(const std::vector<std::string>& a, const std::vector<std::string>& b,
                 std::string* first_a = nullptr, std::string* first_b = nullptr) {
  for (const auto& x : a)
    for (const auto& y : b)
      if (patterns_overlap(x, y)) {
        if (first_a) *first_a = x;
        if (first_b) *first_b = y;
        return true;
      }
  return false;
}

void add_unique(std::vector<std::string>& out, const std::vector<std::string>& more) {
  for (const auto& p : more)
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
}

}  // namespace

namespace_registry::namespace_registry(std::string self_id, std::vector<std::string> own,
                                       std::uint64_t self_claim_us)
    : self_id_(std::move(self_id)), own_(std::move(own)), self_claim_us_(self_claim_us) {}

bool namespace_registry::overlaps_reachable_owner(const std::string& router_id, link_id_t link,
                                                  const std::vector<std::string>& patterns,
                                                  declaration_error& err) const {
  std::string theirs, mine;
  if (any_overlap(patterns, own_, &theirs, &mine)) {
    err = {403, "namespace '" + theirs + "' overlaps this router's own '" + mine + "'"};
    return true;
  }
  for (const auto& [owner, r] : routes_) {
    // Not a conflict: the same router reconnecting, or this very link
    // re-declaring under a new id.
    if (owner == router_id || r.via == link) continue;
    if (any_overlap(patterns, r.namespaces, &theirs, &mine)) {
      err = {403, "namespace '" + theirs + "' overlaps '" + mine + "' owned by connected peer '" + owner + "'"};
      return true;
    }
  }
  return false;
}

std::optional<declaration_error> namespace_registry::declare_inbound(
    const std::string& router_id, link_id_t link, const std::vector<std::string>& patterns,
    neighbour_hello hello) {
  if (router_id.empty()) return declaration_error{400, "DeclareNamespaces needs an origin router id"};
  if (router_id == self_id_)
    return declaration_error{403, "peer claims this router's own id '" + router_id + "'"};
  if (auto err = check_patterns(patterns)) return err;
  declaration_error err;
  if (overlaps_reachable_owner(router_id, link, patterns, err)) return err;
  // A link re-declaring under a new router id gives up its old identity.
  auto& n = neighbours_[link];
  n.router_id = router_id;
  n.inbound = true;
  n.capable = hello.route_capable;
  n.event_ids = hello.event_ids;
  n.declared = patterns;
  if (!hello.route_capable) n.adverts.clear();
  auto& claim = claims_[router_id];
  if (hello.claim_us != 0 && (claim == 0 || hello.claim_us < claim)) claim = hello.claim_us;
  awaiting_first_neighbour_ = false;
  recompute();
  return std::nullopt;
}

void namespace_registry::declare_upstream(const std::string& router_id, link_id_t link,
                                          const std::vector<std::string>& patterns,
                                          neighbour_hello hello) {
  auto& n = neighbours_[link];
  n.router_id = router_id;  // may replace a provisional id
  n.inbound = false;
  n.capable = hello.route_capable;
  n.event_ids = hello.event_ids;
  n.provisional = hello.provisional;
  n.declared.clear();
  for (const auto& p : patterns)
    if (is_valid_pattern(p)) n.declared.push_back(p);
  if (!hello.route_capable) n.adverts.clear();
  auto& claim = claims_[router_id];
  if (hello.claim_us != 0 && (claim == 0 || hello.claim_us < claim)) claim = hello.claim_us;
  awaiting_first_neighbour_ = false;
  recompute();
}

void namespace_registry::attach_upstream(const std::string& router_id, link_id_t link) {
  auto& n = neighbours_[link];
  if (n.router_id.empty()) n.router_id = router_id;
  n.inbound = false;
  recompute();
}

void namespace_registry::remember(const std::string& router_id,
                                  const std::vector<std::string>& patterns) {
  if (router_id.empty() || router_id == self_id_ || peers_.count(router_id)) return;
  auto& entry = peers_[router_id];
  entry.router_id = router_id;
  entry.namespaces = patterns;
  entry.link = 0;
  entry.inbound = true;
}

std::optional<declaration_error> namespace_registry::advertise(link_id_t link,
                                                               const route_advert& advert) {
  auto it = neighbours_.find(link);
  if (it == neighbours_.end() || !it->second.capable)
    return declaration_error{403, "route advertisement before DeclareNamespaces was accepted"};
  if (auto err = check_patterns(advert.namespaces)) return err;
  if (advert.path.size() > max_route_hops)
    return declaration_error{400, "route advertisement path too long: " + std::to_string(advert.path.size()) +
                                      " hops (limit " + std::to_string(max_route_hops) + ")"};
  if (advert.owner.empty()) return declaration_error{400, "route advertisement without an owner"};
  auto& adverts = it->second.adverts;
  if (advert.namespaces.empty())
    adverts.erase(advert.owner);
  else
    adverts[advert.owner] = advert;
  if (!advert.namespaces.empty() && advert.claim_us != 0) {
    auto& claim = claims_[advert.owner];
    if (claim == 0 || advert.claim_us < claim) claim = advert.claim_us;
  }
  recompute();
  return std::nullopt;
}

void namespace_registry::link_closed(link_id_t link) {
  neighbours_.erase(link);
  sent_.erase(link);
  recompute();
}

std::map<std::string, namespace_registry::route> namespace_registry::candidate_routes() const {
  std::map<std::string, route> best;
  auto offer = [&](route r, const std::string& neighbour_id) {
    auto it = best.find(r.owner);
    if (it == best.end()) {
      best.emplace(r.owner, std::move(r));
      return;
    }
    // Shortest path first; ties go to the smaller neighbour id (every router
    // breaks them the same way), then to the newest link to it.
    auto key = [](const route& x, const std::string& first) {
      return std::make_tuple(x.path.size(), first, UINT64_MAX - x.via);
    };
    if (key(r, neighbour_id) < key(it->second, it->second.path.front())) it->second = std::move(r);
  };
  for (const auto& [link, n] : neighbours_) {
    if (n.router_id.empty() || n.standing_down) continue;
    if (!n.declared.empty() && n.router_id != self_id_) {
      auto claim = claims_.count(n.router_id) ? claims_.at(n.router_id) : 0;
      offer(route{n.router_id, n.declared, {n.router_id}, link, claim}, n.router_id);
    }
    if (!n.capable) continue;
    auto offer_advert = [&, link = link, &n = n](const std::string& owner, const route_advert& adv) {
      if (owner == self_id_ || owner == n.router_id || adv.path.empty()) return;
      // A path through us would be a loop.
      if (std::find(adv.path.begin(), adv.path.end(), self_id_) != adv.path.end()) return;
      offer(route{owner, adv.namespaces, adv.path, link, adv.claim_us}, n.router_id);
    };
    for (const auto& [owner, adv] : n.adverts) offer_advert(owner, adv);
    if (const auto* sibling = standing_down_sibling(link))
      for (const auto& [owner, adv] : sibling->adverts)
        if (!n.adverts.count(owner)) offer_advert(owner, adv);
  }
  return best;
}

void namespace_registry::recompute() {
  auto candidates = candidate_routes();
  // Overlapping claims: the older claim wins (then the smaller router id), the
  // same decision on every router that hears both.
  struct claimant {
    std::uint64_t claim;
    std::string id;
  };
  std::vector<claimant> order;
  order.push_back({self_claim_us_, self_id_});
  for (const auto& [owner, r] : candidates) {
    auto c = claims_.count(owner) ? claims_.at(owner) : r.claim_us;
    order.push_back({c == 0 ? r.claim_us : c, owner});
  }
  std::sort(order.begin(), order.end(), [](const claimant& a, const claimant& b) {
    // A claim of 0 (unknown) counts as the youngest.
    auto ka = a.claim == 0 ? UINT64_MAX : a.claim;
    auto kb = b.claim == 0 ? UINT64_MAX : b.claim;
    return std::tie(ka, a.id) < std::tie(kb, b.id);
  });
  routes_.clear();
  refused_.clear();
  std::vector<std::pair<std::string, const std::vector<std::string>*>> accepted;
  for (const auto& c : order) {
    const auto& namespaces = c.id == self_id_ ? own_ : candidates.at(c.id).namespaces;
    std::string mine, theirs;
    bool lost = false;
    for (const auto& [winner, ns] : accepted) {
      if (any_overlap(namespaces, *ns, &mine, &theirs)) {
        refused_[c.id] = "namespace '" + mine + "' of '" + c.id + "' overlaps '" + theirs +
                         "', claimed earlier by '" + winner + "'";
        lost = true;
        break;
      }
    }
    if (lost) continue;
    accepted.emplace_back(c.id, &namespaces);
    if (c.id != self_id_) routes_.emplace(c.id, candidates.at(c.id));
  }
  // The owner table: every router reachable now, plus those known before.
  for (auto& [id, entry] : peers_) entry.link = 0;
  for (const auto& [owner, r] : routes_) {
    auto& entry = peers_[owner];
    entry.router_id = owner;
    entry.namespaces = r.namespaces;
    entry.link = r.via;
    auto n = neighbours_.find(r.via);
    entry.inbound = r.path.size() == 1 && n != neighbours_.end() && n->second.inbound;
  }
}

const namespace_registry::neighbour* namespace_registry::standing_down_sibling(link_id_t link) const {
  auto it = neighbours_.find(link);
  if (it == neighbours_.end()) return nullptr;
  for (const auto& [id, n] : neighbours_)
    if (id != link && n.standing_down && n.router_id == it->second.router_id) return &n;
  return nullptr;
}

const route_advert* namespace_registry::advert_for(link_id_t link, const std::string& owner) const {
  auto it = neighbours_.find(link);
  if (it == neighbours_.end()) return nullptr;
  if (auto adv = it->second.adverts.find(owner); adv != it->second.adverts.end()) return &adv->second;
  if (it->second.standing_down) return nullptr;
  if (const auto* sibling = standing_down_sibling(link))
    if (auto adv = sibling->adverts.find(owner); adv != sibling->adverts.end()) return &adv->second;
  return nullptr;
}

bool namespace_registry::is_child(link_id_t link, const std::string& owner) const {
  auto it = neighbours_.find(link);
  if (it == neighbours_.end()) return false;
  const auto& n = it->second;
  if (owner == n.router_id || n.standing_down) return false;
  if (!n.capable) {
    // Another implementation's router is a tree leaf as far as we know: it
    // gets everything it does not lead to itself.
    auto r = routes_.find(owner);
    return r == routes_.end() || r->second.via != link;
  }
  const auto* adv = advert_for(link, owner);
  // Until a neighbour's advert about us arrives, it is taken to route to us
  // directly (no path to us is shorter): our writes flow to it from the moment
  // the link is up, not only once its advert has made the round trip.
  if (!adv && owner == self_id_) return !refused_.count(self_id_);
  return adv && adv->path.size() >= 2 && adv->path[1] == self_id_;
}

std::vector<std::string> namespace_registry::declaration_for(link_id_t link) const {
  auto it = neighbours_.find(link);
  if (it != neighbours_.end() && it->second.capable) return own_;
  std::vector<std::string> out;
  add_unique(out, own_);
  for (const auto& [id, entry] : peers_)
    if (entry.link != link && !refused_.count(id)) add_unique(out, entry.namespaces);
  return out;
}

std::vector<route_advert> namespace_registry::take_advert_updates(link_id_t link) {
  auto it = neighbours_.find(link);
  if (it == neighbours_.end() || !it->second.capable) return {};
  std::map<std::string, route_advert> desired;
  // Every route, also those through this neighbour and to it: that is how it
  // learns it is our next hop (path[1] is its id) and sends us its updates.
  for (const auto& [owner, r] : routes_) {
    route_advert adv{owner, r.namespaces, {self_id_}, claims_.count(owner) ? claims_.at(owner) : r.claim_us};
    adv.path.insert(adv.path.end(), r.path.begin(), r.path.end());
    desired.emplace(owner, std::move(adv));
  }
  auto& sent = sent_[link];
  std::vector<route_advert> out;
  for (const auto& [owner, adv] : desired) {
    auto s = sent.find(owner);
    if (s == sent.end() || !(s->second == adv)) out.push_back(adv);
  }
  for (const auto& [owner, adv] : sent)
    if (!desired.count(owner)) out.push_back(route_advert{owner, {}, {}, 0});
  sent = std::move(desired);
  return out;
}

std::vector<std::string> namespace_registry::upstream_patterns(link_id_t link) const {
  std::vector<std::string> out;
  for (const auto& [owner, r] : routes_)
    if (r.via == link) add_unique(out, r.namespaces);
  return out;
}

std::vector<link_id_t> namespace_registry::links() const {
  std::vector<link_id_t> out;
  for (const auto& [link, n] : neighbours_) out.push_back(link);
  return out;
}

std::vector<link_id_t> namespace_registry::inbound_links() const {
  std::vector<link_id_t> out;
  for (const auto& [link, n] : neighbours_)
    if (n.inbound) out.push_back(link);
  return out;
}

bool namespace_registry::route_capable(link_id_t link) const {
  auto it = neighbours_.find(link);
  return it != neighbours_.end() && it->second.capable;
}

std::string namespace_registry::router_of(link_id_t link) const {
  auto it = neighbours_.find(link);
  return it == neighbours_.end() ? std::string{} : it->second.router_id;
}

std::optional<link_id_t> namespace_registry::other_link_to(const std::string& router_id,
                                                           link_id_t link) const {
  for (const auto& [id, n] : neighbours_)
    if (id != link && n.router_id == router_id && !n.standing_down) return id;
  return std::nullopt;
}

void namespace_registry::stand_down(link_id_t link) {
  auto it = neighbours_.find(link);
  if (it == neighbours_.end() || it->second.standing_down) return;
  it->second.standing_down = true;
  recompute();
}

std::vector<link_id_t> namespace_registry::revive_links_to(const std::string& router_id) {
  std::vector<link_id_t> revived;
  for (auto& [id, n] : neighbours_)
    if (n.standing_down && n.router_id == router_id) {
      n.standing_down = false;
      revived.push_back(id);
    }
  if (!revived.empty()) recompute();
  return revived;
}

bool namespace_registry::standing_down(link_id_t link) const {
  auto it = neighbours_.find(link);
  return it != neighbours_.end() && it->second.standing_down;
}

bool namespace_registry::keeps(link_id_t link) const {
  auto it = neighbours_.find(link);
  if (it == neighbours_.end()) return false;
  const bool opened_by_us = !it->second.inbound;
  const bool we_are_smaller = self_id_ < it->second.router_id;
  return opened_by_us == we_are_smaller;
}

routing_ptr namespace_registry::build() const {
  auto table = std::make_shared<routing_table>();
  table->self_id = self_id_;
  table->own = own_;
  table->ownership_unknown = awaiting_first_neighbour_;
  for (const auto& [owner, r] : routes_)
    for (const auto& p : r.namespaces) table->remote.push_back({p, owner, r.via});
  // Known but unreachable owners: writes to them get 501, not a local copy.
  for (const auto& [id, entry] : peers_)
    if (!routes_.count(id) && !refused_.count(id))
      for (const auto& p : entry.namespaces) table->remote.push_back({p, id, 0});
  for (const auto& [link, n] : neighbours_) {
    link_view view;
    view.id = link;
    view.router_id = n.router_id;
    view.route_capable = n.capable;
    view.event_ids = n.event_ids;
    view.provisional = n.provisional;
    if (!n.capable) {
      view.interest = declaration_for(link);
      add_unique(view.interest, n.declared);
      view.replicas = view.interest;
      view.syncable = view.interest;
    } else {
      // Replicas go down the owner's tree; events travel the tree both ways.
      if (is_child(link, self_id_)) add_unique(view.replicas, own_);
      for (const auto& [owner, r] : routes_)
        if (is_child(link, owner)) add_unique(view.replicas, r.namespaces);
      view.interest = view.replicas;
      add_unique(view.interest, upstream_patterns(link));
      // Anything we know may be asked for: its route to us may be a moment ahead of ours.
      view.syncable = own_;
      for (const auto& [owner, r] : routes_) add_unique(view.syncable, r.namespaces);
      add_unique(view.syncable, n.declared);
    }
    if (n.standing_down) {
      // Takes nothing from us any more; a sync it asked for may still be answered.
      view.standing_down = true;
      view.interest.clear();
      view.replicas.clear();
    }
    table->links.push_back(std::move(view));
  }
  return table;
}

}  // namespace clasp::federation
