// Federation manager: the namespace registry's actor (declarations, route
// advertisements, routing snapshots for the store), what each link syncs and
// when, the peer table for /federation/peers, and the query API.
#include "actors/federation/federation_manager_actor.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/errors.hpp"
#include "actors/federation/namespace_registry.hpp"
#include "actors/federation/revision_tracker_actor.hpp"

namespace clasp::actors {

namespace {

using federation::peer_state;

struct link_entry {
  peer_link_actor actor;
  bool inbound = false;
  bool named = false;  // its router id is known (outbound: the upstream declared)
  std::optional<std::vector<std::string>> declared_to;  // last DeclareNamespaces we sent it
  std::uint64_t claim_us = 0;  // the neighbour's start, as it declared it
};

struct manager_state {
  std::unique_ptr<federation::namespace_registry> registry;
  state_store_actor store;
  reconnect_supervisor_actor supervisor;
  persistence_actor persistence;
  manager_options options;
  // Outbound endpoints that have not failed once while we wait for the first
  // neighbour's declaration (see manager_options).
  std::set<std::string> unreached_endpoints;
  std::map<session_id_t, link_entry> links;  // declared links
  std::map<std::string, peer_status> peers;  // by key
  revision_tracker_actor tracker;  // spawned linked; restarted when it dies
  std::set<std::string> refusals_logged;
  std::vector<caf::actor> watchers;  // watch_peers subscribers, dropped when they end
  std::set<session_id_t> probing_for;  // links whose declaration waits for an identity probe
  bool routing_stale = false;     // the store has not been sent the registry's latest routing
  bool neighbours_stale = false;  // a tell_neighbours_atom is on its way to us
  static inline const char* name = "federation_manager";
};

using manager_self = federation_manager_actor::stateful_pointer<manager_state>;

// Tells the tracker what `link` leads to now; it decides what to sync.
void plan_sync(manager_self self, session_id_t link, const link_entry& entry) {
  auto& st = self->state;
  if (!entry.named || !st.tracker) return;
  self->send(st.tracker, sync_plan{link, st.registry->router_of(link), entry.actor,
                                   st.registry->upstream_patterns(link), entry.claim_us, false});
}

void start_tracker(manager_self self) {
  auto& st = self->state;
  st.tracker = spawn_revision_tracker(self, st.store, st.registry->own(), st.options.sync_interval_ms);
}

void log_refusals(manager_self self) {
  auto& st = self->state;
  for (const auto& [owner, why] : st.registry->refused_owners())
    if (st.refusals_logged.insert(owner + why).second) spdlog::error("federation: claim refused: {}", why);
}

void push_routing(manager_self self) {
  auto& st = self->state;
  if (!st.routing_stale) return;
  st.routing_stale = false;
  self->send(st.store, routing_update{st.registry->build()});
}

// What changed for each neighbour, and syncs for namespaces newly reached
// through a link.
void tell_neighbours(manager_self self) {
  auto& st = self->state;
  st.neighbours_stale = false;
  push_routing(self);
  if (st.options.book) {
    std::lock_guard<std::mutex> lock(st.options.book->mutex);
    for (const auto& [id, entry] : st.registry->peers()) st.options.book->peers[id] = entry.namespaces;
  }
  log_refusals(self);
  for (auto& [link, entry] : st.links) {
    link_routes out;
    out.adverts = st.registry->take_advert_updates(link);
    if (entry.inbound && !st.registry->route_capable(link)) {
      auto declaration = st.registry->declaration_for(link);
      if (entry.declared_to != declaration) {
        entry.declared_to = declaration;
        out.declaration = std::move(declaration);
      }
    }
    if (out.declaration || !out.adverts.empty()) self->send(entry.actor, std::move(out));
    plan_sync(self, link, entry);
  }
}

// After any change in the registry. The neighbours hear of it once the
// messages already queued here are handled: a burst of changes (a peer
// flooding DeclareNamespaces, a neighbour re-advertising what it heard from
// us) costs one round of adverts and sync plans rather than one per change.
// `now` pushes the new routing to the store at once, for a reply that must
// reach the link after the store has it.
enum class routing_push { now, with_neighbours };
void after_change(manager_self self, routing_push when) {
  auto& st = self->state;
  st.routing_stale = true;
  if (when == routing_push::now) push_routing(self);
  if (st.neighbours_stale) return;
  st.neighbours_stale = true;
  self->send(self, tell_neighbours_atom_v);
}

// Of two links to one router, the one opened by the router with the smaller
// id stays (both ends decide alike). The other stands down at both ends at
// once: it leaves the routes and takes nothing more, while what is already on
// the way still arrives; the router that opened it closes it after a grace
// period, so switching links loses nothing.
void resolve_redundant(manager_self self, session_id_t link, const std::string& router_id) {
  auto& st = self->state;
  auto other = st.registry->other_link_to(router_id, link);
  if (!other) return;
  auto it = st.links.find(*other);
  if (it == st.links.end()) return;
  const bool link_inbound = st.links.count(link) ? st.links[link].inbound : true;
  if (it->second.inbound && link_inbound) {
    // Two inbound links under one id: admit_declaration only lets the new one
    // this far once the old one failed its liveness probe.
    spdlog::info("federation peer '{}' reconnected: closing its previous connection", router_id);
    self->send_exit(it->second.actor, caf::exit_reason::kill);
    st.links.erase(it);
    st.registry->link_closed(*other);
    return;
  }
  // One link each way (both list the other): keep the one both ends keep.
  const session_id_t ours = link_inbound ? *other : link;
  const session_id_t theirs = ours == link ? *other : link;
  if (st.registry->keeps(ours)) {
    st.registry->stand_down(theirs);  // they close it
    return;
  }
  spdlog::info("federation peer '{}': keeping the link it opened to us, ours stands by", router_id);
  st.registry->stand_down(ours);
  self->send(st.links[ours].actor, stand_down_atom_v, true);
}

// A link standing down is not listed as a peer (it closes in a moment).
bool listed(manager_self self, const peer_status& p) {
  return p.link == 0 || !self->state.registry->standing_down(p.link);
}

// An inbound peer's DeclareNamespaces once nobody else holds its router id.
declare_reply accept_declaration(manager_self self, const declare_request& req) {
  auto& st = self->state;
  if (auto err = st.registry->declare_inbound(req.router_id, req.link, req.patterns, req.hello))
    return declare_reply{err->code, err->reason, {}};
  auto& entry = st.links[req.link];
  entry.actor = req.actor;
  entry.inbound = true;
  entry.claim_us = req.hello.claim_us;
  entry.named = false;  // syncs wait for link_ready: our ACK must reach the peer first
  resolve_redundant(self, req.link, req.router_id);
  if (st.persistence) self->send(st.persistence, persist_namespaces{req.router_id, req.patterns});
  self->send(st.store, mark_link{req.link, req.router_id});
  auto declaration = st.registry->declaration_for(req.link);
  if (!st.registry->route_capable(req.link)) entry.declared_to = declaration;
  after_change(self, routing_push::now);
  return declare_reply{0, {}, std::move(declaration)};
}

// Another inbound link already declared under `router_id`, if any.
std::optional<session_id_t> inbound_holder_of(manager_self self, const std::string& router_id,
                                              session_id_t link) {
  auto& st = self->state;
  auto other = st.registry->other_link_to(router_id, link);
  if (!other) return std::nullopt;
  auto it = st.links.find(*other);
  if (it == st.links.end() || !it->second.inbound || !it->second.actor) return std::nullopt;
  return *other;
}

// One identity, one router: when the declared router id is held by another
// inbound link, that link is PINGed first. If it answers, the newcomer is
// refused and closed (a second router with that id, or an impostor); if not,
// it is half-dead and the newcomer replaces it at once (guarantee 7).
void admit_declaration(manager_self self, declare_request req,
                       caf::typed_response_promise<declare_reply> promise) {
  auto holder = inbound_holder_of(self, req.router_id, req.link);
  if (!holder) {
    promise.deliver(accept_declaration(self, req));
    return;
  }
  self->state.probing_for.insert(req.link);
  auto decide = [=](bool answered) mutable {
    auto& st = self->state;
    if (st.probing_for.erase(req.link) == 0) {
      promise.deliver(declare_reply{error_code::federation_refused, "link closed", {}, true});
      return;  // the newcomer closed while we probed: nothing to admit
    }
    auto it = st.links.find(*holder);
    const bool still_held = it != st.links.end() && st.registry->router_of(*holder) == req.router_id;
    if (answered && still_held) {
      spdlog::warn("federation peer '{}' is connected and answered a ping: refusing another link "
                   "claiming its router id",
                   req.router_id);
      promise.deliver(declare_reply{error_code::federation_refused,
                                    "router id '" + req.router_id + "' is connected and answering",
                                    {}, true});
      return;
    }
    if (still_held) {
      spdlog::info("federation peer '{}' declared on a new link; its previous link did not answer "
                   "a ping: replacing it",
                   req.router_id);
      self->send_exit(it->second.actor, caf::exit_reason::kill);
      st.links.erase(it);
      st.registry->link_closed(*holder);
    }
    admit_declaration(self, std::move(req), promise);  // another link may hold the id by now
  };
  // The link answers within --federation-identity-probe-ms; the timeout only
  // covers a link that is stuck.
  self->request(self->state.links[*holder].actor, std::chrono::seconds(5), liveness_probe_atom_v)
      .then([=](bool answered) mutable { decide(answered); },
            [=](caf::error&) mutable { decide(false); });
}

nlohmann::json to_json(manager_self self, const peer_status& p) {
  auto namespaces = p.namespaces;
  std::string last_error = p.last_error;
  if (p.link != 0) {
    for (const auto& ns : self->state.registry->upstream_patterns(p.link))
      if (std::find(namespaces.begin(), namespaces.end(), ns) == namespaces.end()) namespaces.push_back(ns);
  }
  const auto& refused = self->state.registry->refused_owners();
  if (auto r = refused.find(p.router_id); r != refused.end())
    last_error = r->second;
  else if (auto me = refused.find(self->state.registry->self_id()); me != refused.end() && last_error.empty())
    last_error = me->second;
  return nlohmann::json{{"router_id", p.router_id},
                        {"state", federation::to_string(p.state)},
                        {"namespaces", namespaces},
                        {"outbound", p.outbound},
                        {"endpoint", p.endpoint},
                        {"reconnect_attempts", p.reconnect_attempts},
                        {"last_error", last_error}};
}

std::string peers_table(manager_self self) {
  auto arr = nlohmann::json::array();
  for (const auto& [key, p] : self->state.peers)
    if (listed(self, p)) arr.push_back(to_json(self, p));
  return arr.dump();
}

void tell_watchers(manager_self self) {
  if (self->state.watchers.empty()) return;
  auto table = peers_table(self);
  // anon_send: a typed actor may not send() to untyped ones.
  for (const auto& w : self->state.watchers) caf::anon_send(w, peers_changed_atom_v, table);
}

federation_manager_actor::behavior_type manager_behavior(
    manager_self self, state_store_actor store, std::string self_id, std::vector<std::string> own,
    std::map<std::string, std::vector<std::string>> known_peers, persistence_actor persistence,
    manager_options options) {
  auto& st = self->state;
  st.store = std::move(store);
  st.persistence = std::move(persistence);
  st.options = options;
  st.registry = std::make_unique<federation::namespace_registry>(std::move(self_id), std::move(own),
                                                                 options.claim_us);
  for (const auto& [router_id, patterns] : known_peers) st.registry->remember(router_id, patterns);
  if (!options.outbound_endpoints.empty()) {
    st.registry->await_first_neighbour();
    st.unreached_endpoints.insert(options.outbound_endpoints.begin(), options.outbound_endpoints.end());
  }
  self->send(st.store, routing_update{st.registry->build()});
  start_tracker(self);
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    if (st.tracker && msg.source == st.tracker.address()) {
      // Restart policy: a new tracker knows nothing, so every link resyncs in full.
      spdlog::warn("revision tracker ended ({}): restarting it; every link resyncs",
                   self->system().render(msg.reason));
      start_tracker(self);
      for (const auto& [link, entry] : st.links) plan_sync(self, link, entry);
      return;
    }
    self->quit(msg.reason);  // anything else linked to us (or a shutdown) ends us too
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& w = self->state.watchers;
    w.erase(std::remove_if(w.begin(), w.end(),
                           [&](const caf::actor& a) { return a.address() == msg.source; }),
            w.end());
  });
  return {
      [=](declare_request& req) -> caf::result<declare_reply> {
        auto promise = self->make_response_promise<declare_reply>();
        admit_declaration(self, std::move(req), promise);
        return promise;
      },
      [=](upstream_declared& u) -> bool {
        auto& st = self->state;
        auto hello = u.hello;
        hello.provisional = !u.named;
        st.registry->declare_upstream(u.router_id, u.link, u.patterns, hello);
        auto& entry = st.links[u.link];
        entry.actor = u.actor;
        entry.inbound = false;
        entry.claim_us = u.hello.claim_us;
        entry.named = u.named;
        if (u.named) resolve_redundant(self, u.link, u.router_id);
        if (st.persistence && !u.patterns.empty())
          self->send(st.persistence, persist_namespaces{u.router_id, u.patterns});
        self->send(st.store, mark_link{u.link, u.router_id});
        after_change(self, routing_push::now);
        return true;
      },
      [=](link_ready& r) {
        auto& st = self->state;
        auto it = st.links.find(r.link);
        if (it == st.links.end() || it->second.named) return;
        it->second.named = true;
        plan_sync(self, r.link, it->second);
      },
      [=](route_advert_in& in) {
        auto& st = self->state;
        if (!st.links.count(in.link)) return;  // the link is gone or never declared
        if (auto err = st.registry->advertise(in.link, in.advert)) {
          spdlog::warn("federation: route advertisement from link {} refused: {}", in.link, err->reason);
          return;
        }
        after_change(self, routing_push::with_neighbours);
      },
      [=](link_closed& c) {
        auto& st = self->state;
        st.probing_for.erase(c.link);
        auto it = st.links.find(c.link);
        if (it == st.links.end()) return;  // a client session, or a link that never declared
        const auto router = st.registry->router_of(c.link);
        const bool was_kept = !st.registry->standing_down(c.link);
        if (st.tracker) self->send(st.tracker, sync_plan{c.link, router, {}, {}, 0, true});
        st.links.erase(it);
        st.registry->link_closed(c.link);
        if (was_kept && !router.empty()) {
          // The kept link went first: one still standing down takes over.
          for (auto revived : st.registry->revive_links_to(router)) {
            spdlog::info("federation peer '{}': its kept link closed, the redundant one stays", router);
            auto other = st.links.find(revived);
            if (other != st.links.end() && !other->second.inbound)
              self->send(other->second.actor, stand_down_atom_v, false);
          }
        }
        after_change(self, routing_push::with_neighbours);
        if (st.supervisor && !router.empty() && !st.registry->other_link_to(router, 0))
          self->send(st.supervisor, standby_over_atom_v, router);
      },
      [=](peer_status& p) {
        auto& st = self->state;
        if (p.remove) {
          if (st.peers.erase(p.key) > 0) tell_watchers(self);
          return;
        }
        auto it = st.peers.find(p.key);
        const bool changed = it == st.peers.end() || it->second.state != p.state;
        if (changed)
          spdlog::info("federation peer {} ({}): {}{}", p.router_id.empty() ? p.endpoint : p.router_id,
                       p.outbound ? "outbound" : "inbound", federation::to_string(p.state),
                       p.last_error.empty() ? "" : " — " + p.last_error);
        if (p.outbound && !federation::is_up(p.state) && st.unreached_endpoints.erase(p.endpoint) &&
            st.unreached_endpoints.empty() && st.registry->stop_awaiting()) {
          spdlog::warn("no federation peer reachable yet: writes outside our namespaces are kept "
                       "locally until one declares (its owner's value replaces them then)");
          after_change(self, routing_push::now);
        }
        st.peers[p.key] = std::move(p);
        if (changed) tell_watchers(self);
      },
      [=](tell_neighbours_atom) { tell_neighbours(self); },
      [=](register_supervisor& r) { self->state.supervisor = std::move(r.supervisor); },
      [=](peers_atom) -> std::string { return peers_table(self); },
      [=](watch_peers_atom, caf::actor& watcher) -> std::string {
        if (watcher) {
          self->monitor(watcher);
          self->state.watchers.push_back(std::move(watcher));
        }
        return peers_table(self);
      },
      [=](peer_count_atom) -> std::uint32_t {
        std::uint32_t n = 0;
        for (const auto& [key, p] : self->state.peers)
          if (federation::is_up(p.state) && listed(self, p)) ++n;
        return n;
      },
      [=](active_atom) -> std::vector<std::string> {
        std::vector<std::string> ids;
        for (const auto& [key, p] : self->state.peers)
          if (p.state == peer_state::active && listed(self, p)) ids.push_back(p.router_id);
        return ids;
      },
      [=](peer_info_atom, const std::string& router_id) -> std::string {
        for (const auto& [key, p] : self->state.peers)
          if (p.router_id == router_id && listed(self, p)) return to_json(self, p).dump();
        return "null";
      },
      [=](peers_for_atom, const std::string& address,
          const std::string& origin) -> std::vector<std::string> {
        std::vector<std::string> ids;
        auto table = self->state.registry->build();
        for (const auto& link : table->links)
          if (link.router_id != origin && federation::routing_table::interested(link, address))
            ids.push_back(link.router_id);
        return ids;
      },
      [=](should_fwd_atom, const std::string& address, const std::string& origin) -> bool {
        auto table = self->state.registry->build();
        for (const auto& link : table->links)
          if (link.router_id != origin && federation::routing_table::interested(link, address))
            return true;
        return false;
      },
      [=](kill_links_atom) -> std::uint32_t {
        // Test-only fault injection: kill every link actor; supervisors must restore them.
        auto& st = self->state;
        std::uint32_t n = 0;
        for (auto& [link, entry] : st.links)
          if (entry.inbound) {
            self->send_exit(entry.actor, make_error(ec::killed_by_admin));
            ++n;
          }
        if (st.supervisor) self->send(st.supervisor, kill_links_atom_v);
        return n;
      },
      [=](kill_sessions_atom, const std::string& peer) -> std::uint32_t {
        auto& st = self->state;
        std::uint32_t n = 0;
        for (auto& [link, entry] : st.links)
          if (entry.inbound && (peer.empty() || st.registry->router_of(link) == peer)) {
            self->send_exit(entry.actor, make_error(ec::killed_by_admin));
            ++n;
          }
        return n;
      },
      [=](tracker_atom) -> caf::actor { return caf::actor_cast<caf::actor>(self->state.tracker); },
      [=](reenable_atom) -> bool {
        auto& st = self->state;
        if (!st.supervisor) return false;
        self->send(st.supervisor, reenable_atom_v);
        return true;
      },
  };
}

}  // namespace

federation_manager_actor spawn_federation_manager(
    caf::actor_system& sys, state_store_actor store, std::string self_id,
    std::vector<std::string> own_namespaces,
    std::map<std::string, std::vector<std::string>> known_peers, persistence_actor persistence,
    manager_options options) {
  return sys.spawn(manager_behavior, std::move(store), std::move(self_id), std::move(own_namespaces),
                   std::move(known_peers), std::move(persistence), options);
}

}  // namespace clasp::actors
