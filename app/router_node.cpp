// Wiring of one router process: which actors exist, how sockets reach them,
// what the HTTP endpoints answer, and the shutdown order.
#include "app/router_node.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/federation/federation_manager_actor.hpp"
#include "actors/federation/reconnect_supervisor_actor.hpp"
#include "actors/node_supervisor.hpp"
#include "actors/router/session_actor.hpp"
#include "actors/router/persistence_actor.hpp"
#include "actors/router/state_db.hpp"
#include "actors/router/state_store_actor.hpp"
#include "actors/thread_priority.hpp"
#include "app/logging.hpp"
#include "app/live_actor_set.hpp"
#include "app/metrics_endpoint.hpp"
#include "app/peer_table.hpp"
#include "app/status_endpoint.hpp"
#include "transport/server.hpp"

namespace clasp::app {

namespace {

// Nice value of every actor thread: below the socket threads (0), so control
// work never delays the hot path by a scheduler slice.
constexpr int actor_thread_nice = 5;

// Asks an actor something from a non-actor thread and replies asynchronously.
template <class Reply, class Handle, class... Ts>
void ask(caf::actor_system& sys, Handle target, std::function<void(transport::http_response)> reply,
         std::function<transport::http_response(Reply&)> render, Ts... xs) {
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(target, std::chrono::seconds(3), xs...)
        .then([=](Reply& r) { reply(render(r)); },
              [=](caf::error& err) {
                reply({503, "application/json",
                       nlohmann::json{{"error", caf::to_string(err)}}.dump()});
              });
  });
}

// The key=value pairs of a request target's query string (no percent-decoding:
// actor kinds and router ids are plain words).
std::map<std::string, std::string> parse_query(const std::string& target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string::npos) return out;
  std::string rest = target.substr(q + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto end = rest.find('&', start);
    if (end == std::string::npos) end = rest.size();
    auto pair = rest.substr(start, end - start);
    auto eq = pair.find('=');
    if (!pair.empty()) out[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
    start = end + 1;
  }
  return out;
}

std::string mode_name(actors::federation_mode m) {
  switch (m) {
    case actors::federation_mode::hub: return "hub";
    case actors::federation_mode::leaf: return "leaf";
    case actors::federation_mode::mesh: return "mesh";
    default: return "standalone";
  }
}

// Until the actors exist (they need the state loaded, whose default file name
// needs the bound port) accepted connections and HTTP requests wait here.
struct ready_gate {
  std::mutex mutex;
  bool ready = false;
  std::vector<transport::connection_ptr> waiting;
  std::vector<std::function<void()>> waiting_http;
  std::function<void(transport::connection_ptr)> accept;
  std::function<void(const std::string&, const std::string&, std::function<void(transport::http_response)>)> http;
};

}  // namespace

int run_router(const server_options& options) {
  // Signals are taken by sigwait in this thread only; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  router_hooks hooks;
  hooks.wait_for_stop = [signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
  };
  return run_router(options, hooks);
}

int run_router(const server_options& options, const router_hooks& hooks) {
  setup_logging(options.log_level, options.log_format);

  actors::node_config node_settings = options.node;
  auto& fed = node_settings.federation;
  fed.claim_us = router::router_core::clock_now_us();

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::clasp_actors>();
  cfg.set("scheduler.max-threads", static_cast<caf::config_value::integer>(options.actor_threads));
  cfg.set("scheduler.policy", options.actor_scheduler == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  cfg.set("logger.console", caf::atom("none"));
  // Actor threads yield to the socket threads (see actors/thread_priority.hpp).
  cfg.add_thread_hook<actors::actor_thread_priority>(actor_thread_nice);
  {
    // The sockets' runtime outlives the actor system: ~actor_system waits for
    // every actor, and an actor ending late may still touch its connection
    // (calls after io.stop() are ignored; after ~io_runtime they would not be).
    transport::io_runtime io(options.io_threads);
    caf::actor_system sys{cfg};

    auto gate = std::make_shared<ready_gate>();
    auto on_accept = [gate](transport::connection_ptr conn) {
      std::unique_lock<std::mutex> lock(gate->mutex);
      if (!gate->ready) {
        gate->waiting.push_back(std::move(conn));
        return;
      }
      auto accept = gate->accept;
      lock.unlock();
      accept(std::move(conn));
    };
    auto on_http = [gate](const std::string& method, const std::string& target,
                          std::function<void(transport::http_response)> reply) {
      std::unique_lock<std::mutex> lock(gate->mutex);
      if (!gate->ready) {
        gate->waiting_http.push_back([gate, method, target, reply] { gate->http(method, target, reply); });
        return;
      }
      auto http = gate->http;
      lock.unlock();
      http(method, target, std::move(reply));
    };

    std::unique_ptr<transport::server> server;
    try {
      transport::server_config sc;
      sc.bind_address = options.bind;
      sc.port = options.port;
      if (!options.tls_cert.empty()) sc.tls = transport::tls_files{options.tls_cert, options.tls_key};
      server = std::make_unique<transport::server>(io, sc, on_accept, on_http);
    } catch (const std::exception& e) {
      spdlog::critical("cannot listen on {}:{}: {}", options.bind, options.port, e.what());
      std::fprintf(stderr, "clasp server: cannot listen on %s:%u: %s\n", options.bind.c_str(),
                   static_cast<unsigned>(options.port), e.what());
      io.stop();
      return 1;
    }

    // Durable state: loaded before any actor runs.
    std::shared_ptr<router::state_db> db;
    std::shared_ptr<router::persisted_state> saved;
    if (options.persistence) {
      const std::string& path = options.state_db;
      std::string error;
      std::error_code dir_error;
      if (!options.data_dir.empty())
        std::filesystem::create_directories(options.data_dir, dir_error);
      auto opened = router::state_db::open(path, error);
      if (!opened) {
        spdlog::critical("cannot open state database {}: {}", path, error);
        std::fprintf(stderr,
                     "clasp server: cannot open state database %s: %s\n"
                     "(the file is left as it is; use another --data-dir / --state-db, or "
                     "--no-persistence)\n",
                     path.c_str(), error.c_str());
        server.reset();
        io.stop();
        return 1;
      }
      db = std::move(opened);
      saved = std::make_shared<router::persisted_state>(db->load(&error));
      if (!error.empty()) spdlog::error("state database {}: {}", path, error);
      if (!options.router_id_given && !saved->router_id.empty()) fed.router_id = saved->router_id;
      if (saved->router_id != fed.router_id) db->save_router_id(fed.router_id, &error);
      spdlog::info("state database {}: {} params, {} known peers", path, saved->params.size(),
                   saved->peer_namespaces.size());
    }
    auto node = std::make_shared<const actors::node_config>(node_settings);

    actors::persistence_actor persistence;
    if (db) persistence = actors::spawn_persistence(sys, db);
    router::router_config rc;
    rc.router_id = fed.router_id;
    rc.server_name = node->server_name;
    rc.max_subscriptions = node->max_subscriptions;
    rc.tombstone_retention_us = std::uint64_t{node->tombstone_retention_s} * 1000000;
    std::map<std::string, std::vector<std::string>> known_peers;
    if (saved) known_peers = saved->peer_namespaces;
    auto known_peers_book = std::make_shared<actors::known_peers_book>();
    known_peers_book->peers = known_peers;
    auto store = actors::spawn_state_store(sys, rc, saved, persistence,
                                           std::chrono::milliseconds(options.persist_interval_ms));
    saved.reset();
    actors::federation_manager_actor manager;
    actors::reconnect_supervisor_actor supervisor;
    if (fed.mode != actors::federation_mode::off) {
      actors::manager_options manager_opts;
      manager_opts.sync_interval_ms = fed.sync_interval_ms;
      manager_opts.claim_us = fed.claim_us;
      manager_opts.outbound_endpoints = actors::outbound_endpoints(fed);
      manager_opts.book = known_peers_book;
      manager = actors::spawn_federation_manager(sys, store, fed.router_id, fed.owned_namespaces,
                                                 std::move(known_peers), persistence, manager_opts);
      if (fed.mode == actors::federation_mode::leaf || fed.mode == actors::federation_mode::mesh) {
        actors::peer_link_deps deps{store, manager, {}, node, &io, {}};
        supervisor = actors::spawn_reconnect_supervisor(sys, deps);
        caf::anon_send(manager, actors::register_supervisor{supervisor});
      }
    }

    auto sessions = std::make_shared<live_actor_set>();
    // The root of the actor tree watches everything above; handles change when
    // it restarts an actor, so the socket and HTTP sides read them from here.
    auto handles = std::make_shared<actors::node_handles>();
    handles->store = store;
    handles->persistence = persistence;
    handles->manager = manager;
    handles->supervisor = supervisor;
    actors::node_supervisor_config root_cfg;
    root_cfg.node = node;
    root_cfg.io = &io;
    root_cfg.known_peers = known_peers_book;
    root_cfg.kill_client_sessions = [sessions] { return sessions->kill_all(); };
    auto root = actors::spawn_node_supervisor(sys, std::move(root_cfg), handles);
    const std::string mode = mode_name(fed.mode);
    {
      std::lock_guard<std::mutex> lock(gate->mutex);
      gate->accept = [&sys, handles, node, sessions](transport::connection_ptr conn) {
        auto h = handles->get();
        actors::session_deps deps{h.store, h.manager, node,
                                  [sessions](const actors::peer_link_actor& link) { sessions->add(link); }};
        sessions->add(actors::spawn_session(sys, deps, std::move(conn)));
      };
      gate->http = [&sys, &io, handles, root, node, mode](
                       const std::string& method, const std::string& target,
                       std::function<void(transport::http_response)> reply) {
        auto path = target.substr(0, target.find('?'));
        auto h = handles->get();
        auto& manager = h.manager;
        if (method == "GET" && path == "/healthz") {
          reply({200, "application/json",
                 nlohmann::json{{"status", "ok"}, {"router_id", node->federation.router_id}, {"mode", mode}}
                     .dump()});
        } else if (method == "GET" && path == "/status") {
          serve_status(sys, manager, h.store, *node, mode, reply);
        } else if (method == "GET" && path == "/federation/peers") {
          gather_peer_table(
              sys, manager, h.store, 3000, [reply](std::string table, std::string error) {
                if (!error.empty())
                  return reply({503, "application/json", nlohmann::json{{"error", error}}.dump()});
                reply({200, "application/json", std::move(table)});
              });
        } else if (method == "GET" && path == "/metrics") {
          serve_metrics(
              sys, {h.store, manager, h.persistence, node->federation.router_id, mode, &io}, reply);
        } else if (method == "GET" && path == "/stats") {
          ask<std::string>(sys, h.store, reply,
                           [](std::string& json) { return transport::http_response{200, "application/json", json}; },
                           actors::stats_atom_v);
        } else if (method == "POST" && path == "/federation/peers/reconnect" && manager) {
          ask<bool>(
              sys, manager, reply,
              [](bool& any) {
                return transport::http_response{any ? 200 : 404, "application/json",
                                                nlohmann::json{{"reconnecting", any}}.dump()};
              },
              actors::reenable_atom_v);
        } else if (method == "POST" && path == "/admin/kill-links" && node->test_admin && manager) {
          ask<std::uint32_t>(
              sys, manager, reply,
              [](std::uint32_t& n) {
                return transport::http_response{200, "application/json",
                                                nlohmann::json{{"killed_inbound", n}}.dump()};
              },
              actors::kill_links_atom_v);
        } else if (method == "POST" && path == "/admin/kill" && node->test_admin) {
          auto query = parse_query(target);
          ask<std::string>(
              sys, root, reply,
              [](std::string& json) {
                auto status = nlohmann::json::parse(json).value("status", 200);
                return transport::http_response{status, "application/json", json};
              },
              actors::kill_atom_v, query["actor"], query["peer"]);
        } else {
          reply({404, "application/json",
                 nlohmann::json{{"error", "not found: " + method + " " + path}}.dump()});
        }
      };
      gate->ready = true;
      for (auto& conn : gate->waiting) gate->accept(std::move(conn));
      gate->waiting.clear();
      for (auto& request : gate->waiting_http) request();
      gate->waiting_http.clear();
    }

    std::printf("listening on %s://%s:%u (router_id=%s, mode=%s)\n",
                options.tls_cert.empty() ? "ws" : "wss", options.bind.c_str(),
                static_cast<unsigned>(server->port()), fed.router_id.c_str(), mode.c_str());
    std::fflush(stdout);
    spdlog::info("router {} ({}) serving on port {}", fed.router_id, mode, server->port());
    if (fed.tls_insecure)
      spdlog::warn("--federation-tls-insecure: wss:// peers are not authenticated; anyone on the path can read the token");

    if (hooks.on_ready)
      hooks.on_ready({sys, store, manager, server->port(), fed.router_id,
                      [handles] { return handles->get().manager; }});
    hooks.wait_for_stop();
    if (hooks.on_stopping) hooks.on_stopping();

    // Stop accepting, say goodbye to every session, save, then end the actors.
    server->stop();
    caf::anon_send(root, actors::shutdown_atom_v);  // no restarts from here on
    {
      caf::scoped_actor self{sys};
      // Wait until the root has stopped restarting (mailbox order), then read the handles.
      self->request(root, std::chrono::seconds(2), actors::kill_atom_v, std::string("none"), std::string())
          .receive([](std::string&) {}, [](caf::error&) {});
    }
    const auto final_handles = handles->get();
    if (final_handles.supervisor) caf::anon_send(final_handles.supervisor, actors::shutdown_atom_v);
    {
      caf::scoped_actor self{sys};
      self->request(store, std::chrono::seconds(2), actors::shutdown_atom_v)
          .receive([](std::uint64_t) {}, [](caf::error&) {});
      if (persistence)
        self->request(persistence, std::chrono::seconds(10), actors::shutdown_atom_v)
            .receive([](bool) {}, [](caf::error& err) {
              spdlog::error("final save did not complete: {}", caf::to_string(err));
            });
      // Give close frames a moment to leave: wait until the store has no session, bounded.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (std::chrono::steady_clock::now() < deadline) {
        bool empty = false;
        self->request(store, std::chrono::seconds(1), actors::stats_atom_v)
            .receive([&](std::string& json) { empty = nlohmann::json::parse(json)["sessions"] == 0; },
                     [](caf::error&) {});
        if (empty) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a bounded condition
      }
    }
    sessions->kill_all();
    if (final_handles.supervisor) caf::anon_send_exit(final_handles.supervisor, caf::exit_reason::user_shutdown);
    if (final_handles.manager) caf::anon_send_exit(final_handles.manager, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    if (persistence) caf::anon_send_exit(persistence, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    server.reset();
    {
      // The handlers hold actor handles; the persistence actor has a thread of
      // its own that ~actor_system waits for until its last handle is gone.
      std::lock_guard<std::mutex> lock(gate->mutex);
      gate->ready = false;
      gate->accept = nullptr;
      gate->http = nullptr;
    }
    handles.reset();
    io.stop();
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace clasp::app
