// Renders the router's stats snapshots as Prometheus text exposition format
// (version 0.0.4), through a prometheus-cpp registry built for one scrape.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "transport/io_runtime.hpp"

namespace clasp::app {

inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4";

struct metrics_snapshot {
  std::string router_id;
  std::string mode;                   // "hub", "leaf", "standalone"
  const nlohmann::json* store;        // the store's `stats` object (required)
  const nlohmann::json* peers;        // the manager's `peers` array, or null without federation
  const nlohmann::json* persistence;  // the persistence actor's `stats`, or null without --state-db
  std::optional<transport::traffic_totals> transport = std::nullopt;  // socket totals
};

// Missing fields count as zero, so an older or partial snapshot still renders.
// Throws nlohmann::json::exception if a field has the wrong type.
std::string render_metrics(const metrics_snapshot& snapshot);

}  // namespace clasp::app
