// Runs one router process: actor system, sockets, HTTP endpoints, and an
// orderly shutdown on SIGINT/SIGTERM (or, embedded, when the host says so).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/router/router_interfaces.hpp"
#include "app/cli_options.hpp"

namespace caf {
class actor_system;
}

namespace clasp::app {

// What a running router hands its host: valid from on_ready until on_stopping returns.
struct running_router {
  caf::actor_system& sys;
  actors::state_store_actor store;
  actors::federation_manager_actor manager;  // null when federation is off
  std::uint16_t port;                        // the bound port (useful with port 0)
  std::string router_id;
  // The manager running now: the node supervisor restarts it when it ends, and
  // `manager` above is only the first one. Any thread; null when federation is off.
  std::function<actors::federation_manager_actor()> current_manager;
};

// How a host that embeds the router drives it (see embed/router_node_thread.cpp).
struct router_hooks {
  std::function<void(const running_router&)> on_ready;  // called once, when serving
  std::function<void()> wait_for_stop;                  // blocks until the router should stop
  std::function<void()> on_stopping;                    // called before the actors end
};

// Blocks until SIGINT or SIGTERM; returns the process exit code.
int run_router(const server_options& options);

// Runs until hooks.wait_for_stop returns; 1 if the router could not start (then
// on_ready is never called), 0 after an orderly stop. Installs no signal handling.
int run_router(const server_options& options, const router_hooks& hooks);

}  // namespace clasp::app
