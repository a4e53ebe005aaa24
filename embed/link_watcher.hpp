// The actor behind node::subscribe_link_events: subscribes to the manager's
// peer table (watch_peers), diffs each table it is pushed against the last
// one, reports each state change; follows the manager across restarts.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include <caf/fwd.hpp>

#include "actors/federation/federation_interfaces.hpp"
#include "clasp_federation/node.hpp"

namespace clasp_federation {

// Shared by the subscription handle and the watcher actor. The callback runs
// under `mutex` and only while `cancelled` is false; cancel() sets it under the
// mutex, so cancel() returning means no call is running or will start.
struct link_subscription::shared_state {
  std::recursive_mutex mutex;  // recursive: a callback may cancel its own subscription
  std::atomic<bool> cancelled{false};
  std::function<void(const link_event&)> on_event;
};

namespace detail {

// `current_manager` answers the manager running now (any thread).
caf::actor spawn_link_watcher(
    caf::actor_system& sys,
    std::function<clasp::actors::federation_manager_actor()> current_manager,
    std::shared_ptr<link_subscription::shared_state> state);

}  // namespace detail
}  // namespace clasp_federation
