// Link events pushed by the manager: one watch_peers request, then a table per
// change of a peer's state, diffed against the previous table into one
// callback per changed peer. When the manager ends (the node supervisor
// restarts it), the watcher subscribes to the new one; the first table from it
// is diffed against the last one seen, so peers lost meanwhile are reported.
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
using manager_handle = clasp::actors::federation_manager_actor;

// How soon to look for a (new) manager again after it ended or did not answer.
constexpr std::chrono::milliseconds rewatch_delay{20};
// How long a watch request may take; the manager answers at once when it runs.
constexpr std::chrono::seconds watch_timeout{2};
// How often a watcher with no news checks whether its subscription was cancelled.
constexpr std::chrono::milliseconds cancel_check{100};

struct watcher_state {
  peer_table last;
  manager_handle watched;  // the manager that pushes to us (or last did)
  bool watched_down = false;
  bool asking = false;  // a watch request is in flight
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
                              std::function<manager_handle()> current_manager,
                              subscription_ptr sub) {
  using namespace clasp::actors;
  auto behavior = [=](caf::stateful_actor<watcher_state>* self) -> caf::behavior {
    auto apply = [=](const std::string& json) {
      auto table = table_from_json(json);
      if (!deliver(sub, changes(self->state.last, table))) return self->quit();
      self->state.last = std::move(table);
    };
    self->set_down_handler([=](caf::down_msg& msg) {
      if (!self->state.watched || msg.source != self->state.watched.address()) return;
      self->state.watched_down = true;
      self->delayed_send(self, rewatch_delay, watch_peers_atom_v);
    });
    self->send(self, watch_peers_atom_v);
    self->send(self, tick_atom_v);
    return {
        // (Re)subscribe to the manager running now.
        [=](watch_peers_atom) {
          if (sub->cancelled) return self->quit();
          if (self->state.asking) return;
          auto manager = current_manager();
          // Not there yet, or still the one that ended: look again shortly.
          if (!manager ||
              (self->state.watched_down && manager.address() == self->state.watched.address())) {
            self->delayed_send(self, rewatch_delay, watch_peers_atom_v);
            return;
          }
          self->state.asking = true;
          self->request(manager, watch_timeout, watch_peers_atom_v,
                        caf::actor_cast<caf::actor>(self))
              .then(
                  [=](std::string& json) {
                    self->state.asking = false;
                    self->state.watched = manager;
                    self->state.watched_down = false;
                    self->monitor(manager);
                    apply(json);
                  },
                  [=](caf::error&) {
                    self->state.asking = false;
                    self->delayed_send(self, rewatch_delay, watch_peers_atom_v);
                  });
        },
        [=](peers_changed_atom, const std::string& json) { apply(json); },
        [=](tick_atom) {
          if (sub->cancelled) return self->quit();
          self->delayed_send(self, cancel_check, tick_atom_v);
        },
    };
  };
  return sys.spawn(behavior);
}

}  // namespace clasp_federation::detail
