// Federation manager: registry authority, peer table for /federation/peers,
// and the query API.
#include "actors/federation/federation_manager_actor.hpp"

#include <map>
#include <set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/federation/namespace_registry.hpp"

namespace clasp::actors {

namespace {

struct manager_state {
  std::unique_ptr<federation::namespace_registry> registry;
  state_store_actor store;
  reconnect_supervisor_actor supervisor;
  persistence_actor persistence;
  std::map<session_id_t, session_actor> inbound;  // link -> session actor
  std::map<std::string, peer_status> peers;    // by key
  static inline const char* name = "federation_manager";
  // Leaf side: patterns already requested per upstream link, and whether our
  // own namespaces were pulled back once this run.
  std::map<session_id_t, std::set<std::string>> synced_on_link;
  bool own_restored = false;
};

using manager_self = federation_manager_actor::stateful_pointer<manager_state>;

void publish_routing(manager_self self) {
  self->send(self->state.store, routing_update{self->state.registry->build()});
}

void redeclare_all(manager_self self, session_id_t except) {
  auto& st = self->state;
  for (auto& [link, session] : st.inbound)
    if (link != except) self->send(session, redeclare{st.registry->declaration_for(link)});
}

nlohmann::json to_json(const peer_status& p) {
  return nlohmann::json{{"router_id", p.router_id},
                        {"state", p.state},
                        {"namespaces", p.namespaces},
                        {"outbound", p.outbound},
                        {"endpoint", p.endpoint},
                        {"reconnect_attempts", p.reconnect_attempts},
                        {"last_error", p.last_error}};
}

federation_manager_actor::behavior_type manager_behavior(
    manager_self self, state_store_actor store, std::string self_id, std::vector<std::string> own,
    std::map<std::string, std::vector<std::string>> known_peers, persistence_actor persistence) {
  self->state.store = std::move(store);
  self->state.persistence = std::move(persistence);
  self->state.registry =
      std::make_unique<federation::namespace_registry>(std::move(self_id), std::move(own));
  for (const auto& [router_id, patterns] : known_peers) self->state.registry->remember(router_id, patterns);
  publish_routing(self);
  return {
      [=](declare_request& req) -> declare_reply {
        auto& st = self->state;
        std::optional<session_id_t> previous;
        if (auto it = st.registry->peers().find(req.router_id);
            it != st.registry->peers().end() && it->second.link != 0 && it->second.link != req.link)
          previous = it->second.link;
        if (auto err = st.registry->declare_inbound(req.router_id, req.link, req.patterns))
          return declare_reply{err->code, err->reason, {}};
        if (previous) {
          // The same router came back while its old connection still looks alive:
          // the new one replaces it at once.
          if (auto old = st.inbound.find(*previous); old != st.inbound.end()) {
            spdlog::info("federation peer '{}' reconnected: closing its previous connection", req.router_id);
            self->send_exit(old->second, caf::exit_reason::kill);
            st.inbound.erase(old);
          }
        }
        st.inbound[req.link] = req.session;
        if (st.persistence)
          self->send(st.persistence, persist_namespaces{req.router_id, req.patterns});
        self->send(st.store, mark_link{req.link, req.router_id});
        publish_routing(self);
        redeclare_all(self, req.link);
        return declare_reply{0, {}, st.registry->declaration_for(req.link)};
      },
      [=](upstream_declared& u) -> bool {
        auto& st = self->state;
        st.registry->declare_upstream(u.router_id, u.link, u.patterns);
        if (st.persistence && !u.patterns.empty())
          self->send(st.persistence, persist_namespaces{u.router_id, u.patterns});
        self->send(st.store, mark_link{u.link, u.router_id});
        publish_routing(self);
        redeclare_all(self, 0);
        if (!u.named) return true;
        // Pull what we lack: namespaces this link has not synced yet, and once
        // per run our own state, in case we restarted without it.
        auto& synced = st.synced_on_link[u.link];
        std::vector<std::string> patterns;
        for (const auto& p : u.patterns)
          if (synced.insert(p).second) patterns.push_back(p);
        if (!st.own_restored) {
          st.own_restored = true;
          for (const auto& p : st.registry->own()) patterns.push_back(p);
        }
        if (!patterns.empty()) self->send(st.store, request_sync{u.link, std::move(patterns)});
        return true;
      },
      [=](link_closed& c) {
        auto& st = self->state;
        st.registry->link_closed(c.link);
        st.synced_on_link.erase(c.link);
        bool was_inbound = st.inbound.erase(c.link) > 0;
        publish_routing(self);
        if (was_inbound) redeclare_all(self, c.link);
      },
      [=](peer_status& p) {
        auto& st = self->state;
        if (p.remove) {
          st.peers.erase(p.key);
          return;
        }
        auto it = st.peers.find(p.key);
        if (it == st.peers.end() || it->second.state != p.state)
          spdlog::info("federation peer {} ({}): {}{}", p.router_id.empty() ? p.endpoint : p.router_id,
                       p.outbound ? "outbound" : "inbound", p.state,
                       p.last_error.empty() ? "" : " — " + p.last_error);
        st.peers[p.key] = std::move(p);
      },
      [=](register_supervisor& r) { self->state.supervisor = std::move(r.supervisor); },
      [=](peers_atom) -> std::string {
        auto arr = nlohmann::json::array();
        for (const auto& [key, p] : self->state.peers) arr.push_back(to_json(p));
        return arr.dump();
      },
      [=](peer_count_atom) -> std::uint32_t {
        std::uint32_t n = 0;
        for (const auto& [key, p] : self->state.peers)
          if (p.state != "Failed" && p.state != "Disconnected") ++n;
        return n;
      },
      [=](active_atom) -> std::vector<std::string> {
        std::vector<std::string> ids;
        for (const auto& [key, p] : self->state.peers)
          if (p.state == "Active") ids.push_back(p.router_id);
        return ids;
      },
      [=](peer_info_atom, const std::string& router_id) -> std::string {
        for (const auto& [key, p] : self->state.peers)
          if (p.router_id == router_id) return to_json(p).dump();
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
        for (auto& [link, session] : st.inbound) {
          self->send_exit(session, caf::exit_reason::kill);
          ++n;
        }
        if (st.supervisor) self->send(st.supervisor, kill_links_atom_v);
        return n;
      },
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
    std::map<std::string, std::vector<std::string>> known_peers, persistence_actor persistence) {
  return sys.spawn(manager_behavior, std::move(store), std::move(self_id), std::move(own_namespaces),
                   std::move(known_peers), std::move(persistence));
}

}  // namespace clasp::actors
