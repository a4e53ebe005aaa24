// Snapshots of plain counters as JSON, taken at scrape time (never per message).
#include "actors/router/stats_json.hpp"

#include <nlohmann/json.hpp>

#include "actors/router/router_core.hpp"

namespace clasp::router {

namespace {

// Only the types that occurred, by wire name ("SET": 12).
nlohmann::json by_type(const message_type_counts& counts) {
  auto j = nlohmann::json::object();
  for (std::size_t t = 0; t < counts.size(); ++t)
    if (counts[t] != 0) j[to_string(static_cast<message_type>(t))] = counts[t];
  return j;
}

nlohmann::json by_role(const per_role_counts& n) {
  return {{"client", n[static_cast<std::size_t>(session_role::client)]},
          {"inbound_peer", n[static_cast<std::size_t>(session_role::inbound_peer)]},
          {"upstream", n[static_cast<std::size_t>(session_role::upstream)]}};
}

nlohmann::json links_json(const std::vector<link_traffic>& links) {
  auto j = nlohmann::json::array();
  for (const auto& l : links)
    j.push_back(
        {{"router_id", l.router_id},
         {"messages_in", l.frames_in},
         {"messages_out", l.frames_out},
         {"sync_lag_s", l.sync_lag_s < 0 ? nlohmann::json() : nlohmann::json(l.sync_lag_s)}});
  return j;
}

}  // namespace

nlohmann::json histogram_json(const value_histogram& h) {
  return {{"upper_bounds", h.upper_bounds()},
          {"bucket_counts", h.bucket_counts()},
          {"sum", h.sum()},
          {"count", h.count()}};
}

std::string store_stats_json(const router_core& core) {
  const auto& c = core.counters();
  const auto& params = core.params();
  const auto queues = core.outbound();
  nlohmann::json j{
      {"params", params.live_count()},
      {"tombstones", params.size() - params.live_count()},
      {"subscriptions", core.subscription_count()},
      {"sessions", core.session_count()},
      {"sessions_by_role", by_role(core.sessions_by_role())},
      {"sessions_attached", by_role(c.sessions_attached)},
      {"change_seq", params.current_seq()},
      {"sets_applied", c.sets_applied},
      {"sets_forwarded", c.sets_forwarded},
      {"remote_applied", c.remote_applied},
      {"remote_stale", c.remote_stale},
      {"publishes", c.publishes},
      {"events_duplicate", c.duplicate_events},
      {"events_resent", c.events_resent},
      {"errors_sent", c.errors_sent},
      {"messages_in", by_type(c.messages_in)},
      {"messages_out", by_type(c.messages_out)},
      {"outbound",
       {{"bytes_queued", queues.bytes_queued},
        {"max_bytes_queued", queues.max_bytes_queued},
        {"frames_coalesced", queues.frames_coalesced},
        {"frames_dropped", queues.frames_dropped}}},
      {"sync_answers",
       {{"bytes", c.sync_answer_bytes}, {"seconds", histogram_json(c.sync_answer_seconds)}}},
      {"sync_marks", {{"sent", c.sync_marks_sent}, {"applied", c.sync_marks_applied}}},
      {"links", links_json(core.links())}};
  return j.dump();
}

}  // namespace clasp::router
