// The JSON the store's and the persistence actor's `stats` requests answer
// (GET /stats shows it; /metrics turns it into Prometheus families).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/router/value_histogram.hpp"

namespace clasp::router {

class router_core;

// {"upper_bounds": [...], "bucket_counts": [... one more, +Inf last], "sum": s, "count": n}
nlohmann::json histogram_json(const value_histogram& h);

// Counters, gauges and outbound queue totals of one router_core. Call under
// the store lock: it walks the sessions.
std::string store_stats_json(const router_core& core);

}  // namespace clasp::router
