// Two requests one after the other from a short-lived actor; the merge is by
// router id, since both sides know it (the store from mark_link).
#include "app/peer_table.hpp"

#include <chrono>
#include <map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/actor_types.hpp"

namespace clasp::app {

namespace {

struct traffic {
  std::uint64_t in = 0, out = 0;
  double lag_s = -1;  // the freshest sync of the router's links; negative: none yet
};

bool link_up(const std::string& state) {
  return state != "Connecting" && state != "Disconnected" && state != "Failed";
}

}  // namespace

nlohmann::json with_link_traffic(nlohmann::json peers, const nlohmann::json& store_stats) {
  std::map<std::string, traffic> by_router;
  if (store_stats.is_object() && store_stats.contains("links") && store_stats["links"].is_array())
    for (const auto& l : store_stats["links"]) {
      auto& t = by_router[l.value("router_id", std::string())];
      t.in += l.value("messages_in", std::uint64_t{0});
      t.out += l.value("messages_out", std::uint64_t{0});
      if (l.contains("sync_lag_s") && l["sync_lag_s"].is_number()) {
        const double lag = l["sync_lag_s"].get<double>();
        if (t.lag_s < 0 || lag < t.lag_s) t.lag_s = lag;
      }
    }
  for (auto& row : peers) {
    row["messages_in"] = nullptr;
    row["messages_out"] = nullptr;
    row["sync_lag_s"] = nullptr;
    auto it = by_router.find(row.value("router_id", std::string()));
    if (it == by_router.end() || !link_up(row.value("state", std::string()))) continue;
    row["messages_in"] = it->second.in;
    row["messages_out"] = it->second.out;
    if (it->second.lag_s >= 0) row["sync_lag_s"] = it->second.lag_s;
  }
  return peers;
}

void gather_peer_table(caf::actor_system& sys, actors::federation_manager_actor manager,
                       actors::state_store_actor store, unsigned timeout_ms,
                       std::function<void(std::string, std::string)> done) {
  if (!manager) return done("[]", "");
  const std::chrono::milliseconds timeout(timeout_ms);
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(manager, timeout, actors::peers_atom_v)
        .then(
            [=](std::string& rows) {
              self->request(store, timeout, actors::stats_atom_v)
                  .then(
                      [=](std::string& stats) {
                        try {
                          auto merged = with_link_traffic(nlohmann::json::parse(rows),
                                                          nlohmann::json::parse(stats));
                          done(merged.dump(), "");
                        } catch (const std::exception& e) {
                          done("", std::string("peer table unreadable: ") + e.what());
                        }
                      },
                      [=](caf::error& err) { done("", "state store: " + caf::to_string(err)); });
            },
            [=](caf::error& err) { done("", "federation manager: " + caf::to_string(err)); });
  });
}

}  // namespace clasp::app
