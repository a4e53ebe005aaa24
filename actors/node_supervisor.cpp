// The node supervisor: restart policies of the router's long-lived actors and
// fault injection (see the header).
#include "actors/node_supervisor.hpp"

#include <cstdio>
#include <cstdlib>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/errors.hpp"
#include "actors/federation/federation_manager_actor.hpp"
#include "actors/federation/reconnect_supervisor_actor.hpp"

namespace clasp::actors {

namespace {

// Exit status when an actor the router cannot run without ends (EX_SOFTWARE).
constexpr int critical_exit_status = 70;

struct root_state {
  node_supervisor_config cfg;
  std::shared_ptr<node_handles> handles;
  bool stopping = false;
  static inline const char* name = "node_supervisor";
};

using root_self = node_supervisor_actor::stateful_pointer<root_state>;

[[noreturn]] void exit_now(root_self self, const char* what, const caf::error& reason) {
  spdlog::critical("{} ended ({}): the router cannot serve without it; exiting with status {} "
                   "so the service manager restarts it",
                   what, self->system().render(reason), critical_exit_status);
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(critical_exit_status);
}

void start_manager(root_self self) {
  auto& st = self->state;
  const auto& fed = st.cfg.node->federation;
  auto h = st.handles->get();
  manager_options options;
  options.sync_interval_ms = fed.sync_interval_ms;
  options.claim_us = fed.claim_us;
  options.outbound_endpoints = outbound_endpoints(fed);
  options.book = st.cfg.known_peers;
  std::map<std::string, std::vector<std::string>> known;
  if (options.book) {
    std::lock_guard<std::mutex> lock(options.book->mutex);
    known = options.book->peers;
  }
  auto manager = spawn_federation_manager(self->system(), h.store, fed.router_id, fed.owned_namespaces,
                                          std::move(known), h.persistence, options);
  self->monitor(manager);
  std::lock_guard<std::mutex> lock(st.handles->mutex);
  st.handles->manager = manager;
}

void start_supervisor(root_self self) {
  auto& st = self->state;
  auto h = st.handles->get();
  peer_link_deps deps{h.store, h.manager, {}, st.cfg.node, st.cfg.io, {}};
  auto supervisor = spawn_reconnect_supervisor(self->system(), deps);
  self->monitor(supervisor);
  self->send(h.manager, register_supervisor{supervisor});
  std::lock_guard<std::mutex> lock(st.handles->mutex);
  st.handles->supervisor = supervisor;
}

std::string answer(int status, nlohmann::json body) {
  body["status"] = status;
  return body.dump();
}

// Kills `target` on purpose and says what its supervisor will do about it.
template <class Handle>
std::string kill_one(root_self self, const Handle& target, const std::string& kind, const char* policy) {
  if (!target) return answer(404, {{"error", "this router runs no " + kind + " actor"}});
  // A moment later, so the answer leaves before an "exit" policy ends the process.
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(target), std::chrono::milliseconds(100),
                         caf::exit_msg{self->address(), make_error(ec::killed_by_admin)});
  return answer(200, {{"killed", kind}, {"count", 1}, {"policy", policy}});
}

node_supervisor_actor::behavior_type root_behavior(root_self self, node_supervisor_config cfg,
                                                   std::shared_ptr<node_handles> handles) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.handles = std::move(handles);
  auto h = st.handles->get();
  self->monitor(h.store);
  if (h.persistence) self->monitor(h.persistence);
  if (h.manager) self->monitor(h.manager);
  if (h.supervisor) self->monitor(h.supervisor);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    if (st.stopping) return;
    auto h = st.handles->get();
    if (down.source == h.store.address()) exit_now(self, "the state store actor", down.reason);
    if (h.persistence && down.source == h.persistence.address())
      exit_now(self, "the persistence actor", down.reason);
    if (h.manager && down.source == h.manager.address()) {
      // Restart policy: a new registry starts from what persistence knew at
      // start; every link redeclares (inbound peers close when they see the
      // old one go, outbound links go with the supervisor) and resyncs.
      spdlog::warn("federation manager (namespace registry) ended ({}): restarting it; links "
                   "redeclare and resync",
                   self->system().render(down.reason));
      start_manager(self);
      if (h.supervisor) self->send_exit(h.supervisor, caf::exit_reason::kill);
      return;
    }
    if (h.supervisor && down.source == h.supervisor.address()) {
      spdlog::warn("reconnect supervisor ended ({}): restarting it with fresh links",
                   self->system().render(down.reason));
      start_supervisor(self);
    }
  });
  return {
      [=](kill_atom, const std::string& kind, const std::string& peer) -> caf::result<std::string> {
        auto h = self->state.handles->get();
        if (kind == "store") return kill_one(self, h.store, kind, "exit");
        if (kind == "persistence") return kill_one(self, h.persistence, kind, "exit");
        if (kind == "manager" || kind == "registry") return kill_one(self, h.manager, kind, "restart");
        if (kind == "supervisor") return kill_one(self, h.supervisor, kind, "restart");
        // A promise only where the answer comes later: once made, it is the answer.
        auto promise = [self] { return self->make_response_promise<std::string>(); };
        auto failer = [](caf::typed_response_promise<std::string> rp) {
          return [rp](caf::error& err) mutable { rp.deliver(answer(503, {{"error", to_string(err)}})); };
        };
        if (kind == "tracker") {
          if (!h.manager) return answer(404, {{"error", "this router runs no tracker actor"}});
          auto rp = promise();
          auto fail = failer(rp);
          self->request(h.manager, std::chrono::seconds(2), tracker_atom_v)
              .then(
                  [=](caf::actor& tracker) mutable {
                    if (!tracker) {
                      rp.deliver(answer(404, {{"error", "no tracker running"}}));
                      return;
                    }
                    self->send_exit(tracker, make_error(ec::killed_by_admin));
                    rp.deliver(answer(200, {{"killed", "tracker"}, {"count", 1}, {"policy", "restart"}}));
                  },
                  fail);
          return rp;
        }
        if (kind == "link") {
          if (!h.supervisor) return answer(404, {{"error", "this router has no outbound links"}});
          auto rp = promise();
          auto fail = failer(rp);
          self->request(h.supervisor, std::chrono::seconds(2), kill_links_atom_v, peer)
              .then(
                  [=](std::uint32_t n) mutable {
                    rp.deliver(answer(n ? 200 : 404, {{"killed", "link"}, {"count", n}, {"peer", peer},
                                                      {"policy", "reconnect"}}));
                  },
                  fail);
          return rp;
        }
        if (kind == "session") {
          auto kill_clients = self->state.cfg.kill_client_sessions;
          auto rp = promise();
          auto fail = failer(rp);
          auto finish = [=](std::uint32_t n) mutable {
            if (n == 0 && peer.empty() && kill_clients) n = kill_clients();
            rp.deliver(answer(n ? 200 : 404, {{"killed", "session"}, {"count", n}, {"peer", peer},
                                              {"policy", "cleaned up"}}));
          };
          if (!h.manager) {
            finish(0);
            return rp;
          }
          self->request(h.manager, std::chrono::seconds(2), kill_sessions_atom_v, peer).then(finish, fail);
          return rp;
        }
        return answer(400, {{"error", "unknown actor kind '" + kind +
                                          "' (link, session, registry, tracker, manager, supervisor, "
                                          "persistence, store)"}});
      },
      [=](shutdown_atom) { self->state.stopping = true; },
  };
}

}  // namespace

node_supervisor_actor spawn_node_supervisor(caf::actor_system& sys, node_supervisor_config config,
                                            std::shared_ptr<node_handles> handles) {
  return sys.spawn(root_behavior, std::move(config), std::move(handles));
}

}  // namespace clasp::actors
