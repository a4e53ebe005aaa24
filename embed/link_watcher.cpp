// Link events from the peer table: one request per interval (with a timeout),
// a diff against the previous table, one callback per changed peer.
#include "embed/link_watcher.hpp"

#include <map>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/actor_types.hpp"
#include "embed/peer_rows.hpp"

namespace clasp_federation::detail {

namespace {

using peer_table = std::map<std::string, peer_summary>;
using subscription_ptr = std::shared_ptr<link_subscription::shared_state>;

struct watcher_state {
  peer_table last;
  bool asking = false;  // one table request in flight at a time
  static inline const char* name = "link_watcher";
};

peer_table table_from_json(const std::string& text) {
  peer_table table;
  auto rows = nlohmann::json::parse(text, nullptr, false);
  if (!rows.is_array()) return table;
  for (const auto& row : rows) {
    auto peer = peer_from_row(row);
    table[peer_key(peer)] = std::move(peer);
  }
  return table;
}

std::vector<link_event> changes(const peer_table& before, const peer_table& after) {
  std::vector<link_event> out;
  for (const auto& [key, peer] : after) {
    auto old = before.find(key);
    if (old != before.end() && old->second.state == peer.state) continue;
    out.push_back({peer.router_id, old == before.end() ? "" : old->second.state, peer.state, peer});
  }
  for (const auto& [key, peer] : before)
    if (!after.count(key)) out.push_back({peer.router_id, peer.state, "", peer});
  return out;
}

// False once the subscription is cancelled: the watcher then ends.
bool deliver(const subscription_ptr& sub, const std::vector<link_event>& events) {
  std::lock_guard<std::recursive_mutex> lock(sub->mutex);
  for (const auto& e : events) {
    if (sub->cancelled) return false;
    try {
      sub->on_event(e);
    } catch (...) {
      // A throwing callback must not kill the watcher; the host owns its errors.
    }
  }
  return !sub->cancelled;
}

}  // namespace

caf::actor spawn_link_watcher(caf::actor_system& sys,
                              clasp::actors::federation_manager_actor manager, subscription_ptr sub,
                              std::chrono::milliseconds interval) {
  using namespace clasp::actors;
  const auto timeout = std::max(interval * 4, std::chrono::milliseconds(1000));
  auto behavior = [=](caf::stateful_actor<watcher_state>* self) -> caf::behavior {
    self->send(self, tick_atom_v);
    return {
        [=](tick_atom) {
          if (sub->cancelled) return self->quit();
          self->delayed_send(self, interval, tick_atom_v);
          if (self->state.asking) return;
          self->state.asking = true;
          self->request(manager, timeout, peers_atom_v)
              .then(
                  [=](std::string& json) {
                    self->state.asking = false;
                    auto table = table_from_json(json);
                    if (!deliver(sub, changes(self->state.last, table))) return self->quit();
                    self->state.last = std::move(table);
                  },
                  [=](caf::error&) {
                    // The manager is busy or gone; the next tick asks again, and
                    // node::stop ends this actor.
                    self->state.asking = false;
                  });
        },
    };
  };
  return sys.spawn(behavior);
}

}  // namespace clasp_federation::detail
