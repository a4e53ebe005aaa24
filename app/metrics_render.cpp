// One Prometheus family per concept, filled from the JSON snapshots at scrape
// time: the hot path only ever increments plain integers.
#include "app/metrics_render.hpp"

#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <nlohmann/json.hpp>

namespace clasp::app {

namespace {

using nlohmann::json;

// Every state a peer link can be in: each peer gets one series per state (1 for
// its current one), so a dashboard sees a state end, not just begin.
const char* const peer_states[] = {"Connecting", "Handshaking",  "Syncing",
                                   "Active",     "Disconnected", "Failed"};

double number(const json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? 0.0 : it->get<double>();
}

const json& member(const json& object, const char* key) {
  static const json empty = json::object();
  if (!object.is_object()) return empty;
  auto it = object.find(key);
  return it == object.end() ? empty : *it;
}

class families {
 public:
  explicit families(prometheus::Registry& r) : registry_(r) {}
  prometheus::Registry& registry() { return registry_; }

  void counter(const std::string& name, const std::string& help, double value,
               const prometheus::Labels& labels = {}) {
    prometheus::BuildCounter().Name(name).Help(help).Register(registry_).Add(labels).Increment(
        value);
  }
  void gauge(const std::string& name, const std::string& help, double value,
             const prometheus::Labels& labels = {}) {
    prometheus::BuildGauge().Name(name).Help(help).Register(registry_).Add(labels).Set(value);
  }
  // One series per key of `values` ({"SET": 3}), labelled `label`="SET".
  void counter_by(const std::string& name, const std::string& help, const std::string& label,
                  const json& values) {
    auto& family = prometheus::BuildCounter().Name(name).Help(help).Register(registry_);
    for (const auto& [key, value] : values.items())
      family.Add({{label, key}}).Increment(value.get<double>());
  }
  void gauge_by(const std::string& name, const std::string& help, const std::string& label,
                const json& values) {
    auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(registry_);
    for (const auto& [key, value] : values.items())
      family.Add({{label, key}}).Set(value.get<double>());
  }
  // From histogram_json: {"upper_bounds", "bucket_counts" (+Inf last), "sum", "count"}.
  void histogram(const std::string& name, const std::string& help, const json& h) {
    auto bounds = member(h, "upper_bounds").is_array()
                      ? member(h, "upper_bounds").get<std::vector<double>>()
                      : std::vector<double>{};
    auto counts = member(h, "bucket_counts").is_array()
                      ? member(h, "bucket_counts").get<std::vector<double>>()
                      : std::vector<double>{};
    counts.resize(bounds.size() + 1, 0.0);
    auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(registry_);
    family.Add({}, bounds).ObserveMultiple(counts, number(h, "sum"));
  }

 private:
  prometheus::Registry& registry_;
};

void store_families(families& f, const json& s) {
  f.gauge_by("clasp_sessions",
             "Sessions attached to the store now (clients after HELLO, peers, own links)", "role",
             member(s, "sessions_by_role"));
  f.counter_by("clasp_sessions_attached_total", "Sessions attached to the store since start",
               "role", member(s, "sessions_attached"));
  f.counter_by("clasp_messages_received_total",
               "CLASP messages handled by the store, by type (BUNDLE contents not counted again)",
               "type", member(s, "messages_in"));
  f.counter_by("clasp_messages_sent_total", "CLASP frames the store queued to connections, by type",
               "type", member(s, "messages_out"));
  f.gauge("clasp_params", "Live params stored", number(s, "params"));
  f.gauge("clasp_tombstones", "Removed params kept so removals sync", number(s, "tombstones"));
  f.gauge("clasp_subscriptions", "Client subscriptions", number(s, "subscriptions"));
  f.counter("clasp_sets_applied_total", "SETs applied as owner (new revision assigned)",
            number(s, "sets_applied"));
  f.counter("clasp_sets_forwarded_total", "Writes forwarded to the owning router",
            number(s, "sets_forwarded"));
  f.counter("clasp_replica_updates_applied_total", "Updates from an owner applied to the replica",
            number(s, "remote_applied"));
  f.counter("clasp_replica_updates_stale_total", "Updates from an owner ignored as not newer",
            number(s, "remote_stale"));
  f.counter("clasp_publishes_total", "PUBLISH messages fanned out", number(s, "publishes"));
  f.counter("clasp_duplicate_events_dropped_total",
            "Copies of a federated event already delivered, dropped (event ids)",
            number(s, "events_duplicate"));
  f.counter("clasp_events_resent_total",
            "Federated events sent again on new routes after a link they went out on closed",
            number(s, "events_resent"));
  f.counter("clasp_refused_total", "Messages refused with an ERROR", number(s, "errors_sent"));
  const auto& out = member(s, "outbound");
  f.gauge("clasp_outbound_queued_bytes", "Bytes waiting in every connection's outbound queue",
          number(out, "bytes_queued"));
  f.gauge("clasp_outbound_queued_bytes_max", "Bytes waiting in the fullest outbound queue",
          number(out, "max_bytes_queued"));
  f.counter("clasp_outbound_coalesced_total",
            "Queued param updates replaced by a newer one (slow reader)",
            number(out, "frames_coalesced"));
  f.counter("clasp_outbound_dropped_total", "Stream samples dropped for a slow reader",
            number(out, "frames_dropped"));
  const auto& sync = member(s, "sync_answers");
  f.counter("clasp_sync_answer_bytes_total", "Bytes of completed sync answers sent to peers",
            number(sync, "bytes"));
  f.histogram("clasp_sync_answer_duration_seconds",
              "Sync answers sent: from request to SyncComplete", member(sync, "seconds"));
  const auto& marks = member(s, "sync_marks");
  f.counter("clasp_sync_marks_sent_total",
            "Sync marks sent: our change sequence that reached a peer of ours live",
            number(marks, "sent"));
  f.counter("clasp_sync_marks_applied_total",
            "Sync marks received that moved our watermark for the sending router",
            number(marks, "applied"));
}

void peer_families(families& f, const json& peers) {
  auto& state = prometheus::BuildGauge()
                    .Name("clasp_peer_state")
                    .Help("Federation peer link state: 1 for the current state")
                    .Register(f.registry());
  auto& attempts =
      prometheus::BuildGauge()
          .Name("clasp_peer_reconnect_attempts")
          .Help("Consecutive connection attempts to the peer that did not reach Active")
          .Register(f.registry());
  auto& received = prometheus::BuildCounter()
                       .Name("clasp_peer_messages_received_total")
                       .Help("WebSocket messages read from the peer's link since it connected")
                       .Register(f.registry());
  auto& sent = prometheus::BuildCounter()
                   .Name("clasp_peer_messages_sent_total")
                   .Help("WebSocket messages written to the peer's link since it connected")
                   .Register(f.registry());
  auto& lag = prometheus::BuildGauge()
                  .Name("clasp_peer_sync_lag_seconds")
                  .Help("Seconds since the last sync this router asked of the peer completed")
                  .Register(f.registry());
  if (!peers.is_array()) return;
  for (const auto& p : peers) {
    std::string peer = p.value("router_id", std::string());
    if (peer.empty()) peer = p.value("endpoint", std::string("unknown"));
    const std::string current = p.value("state", std::string());
    bool known = false;
    for (const char* s : peer_states) {
      known = known || current == s;
      state.Add({{"peer", peer}, {"state", s}}).Set(current == s ? 1 : 0);
    }
    if (!known && !current.empty()) state.Add({{"peer", peer}, {"state", current}}).Set(1);
    attempts.Add({{"peer", peer}}).Set(number(p, "reconnect_attempts"));
    // Only while the link is up: null otherwise (see app/peer_table.hpp).
    if (p.contains("messages_in") && p["messages_in"].is_number())
      received.Add({{"peer", peer}}).Increment(number(p, "messages_in"));
    if (p.contains("messages_out") && p["messages_out"].is_number())
      sent.Add({{"peer", peer}}).Increment(number(p, "messages_out"));
    if (p.contains("sync_lag_s") && p["sync_lag_s"].is_number())
      lag.Add({{"peer", peer}}).Set(number(p, "sync_lag_s"));
  }
  f.gauge("clasp_peers", "Federation peers known to this router",
          static_cast<double>(peers.size()));
}

void persistence_families(families& f, const json& p) {
  f.counter("clasp_persistence_commits_total", "SQLite transactions committed",
            number(p, "commits"));
  f.counter("clasp_persistence_commit_failures_total",
            "SQLite commits that failed (retried with the next batch)",
            number(p, "commit_failures"));
  f.histogram("clasp_persistence_batch_duration_seconds", "Persistence batches: staging and commit",
              member(p, "batch_seconds"));
  f.histogram("clasp_persistence_batch_params", "Params per persistence batch",
              member(p, "batch_params"));
  f.gauge("clasp_persistence_log_backlog_bytes",
          "Change-log bytes appended (durable) but not yet applied to the SQLite file",
          number(p, "log_backlog_bytes"));
  f.counter("clasp_persistence_log_rows_applied_total",
            "Rows applied from the change log to the SQLite file", number(p, "rows_applied"));
  f.counter("clasp_persistence_log_failures_total",
            "Change-log appends that failed (batches then go straight to SQLite)",
            number(p, "log_failures"));
}

// The store's side of persistence: what waits for the disk, and how often
// clients' writes were held back for it (only with persistence on).
void persistence_backlog_families(families& f, const json& b) {
  f.gauge("clasp_persistence_backlog_params",
          "Changed params not yet durable: waiting in the store plus in uncommitted batches",
          number(b, "changed") + number(b, "in_flight"));
  f.gauge("clasp_persistence_backlog_limit_params",
          "Backlog above which clients' writes wait (what drains within the durability window)",
          number(b, "limit"));
  f.counter("clasp_persistence_writes_held_back_total",
            "Times a client's write waited for the disk (its socket not read meanwhile)",
            number(b, "writes_held_back"));
  f.gauge("clasp_persistence_sessions_held", "Client sessions whose writes wait for the disk now",
          number(b, "sessions_held"));
}

void transport_families(families& f, const transport::traffic_totals& t) {
  f.counter("clasp_transport_connections_accepted_total",
            "TCP connections accepted on the router's port (WebSocket and plain HTTP)",
            static_cast<double>(t.connections_accepted));
  f.counter("clasp_transport_connections_closed_total",
            "Accepted TCP connections closed since (by either side)",
            static_cast<double>(t.connections_closed));
  f.gauge("clasp_transport_connections_open", "Accepted TCP connections open now",
          static_cast<double>(t.connections_accepted - t.connections_closed));
  f.counter("clasp_transport_websocket_upgrade_failures_total",
            "WebSocket upgrade requests refused (400, 426) or whose 101 reply could not be sent",
            static_cast<double>(t.upgrade_failures));
  f.counter("clasp_transport_received_bytes_total",
            "Bytes read from every socket (accepted and outbound links; above TLS)",
            static_cast<double>(t.bytes_received));
  f.counter("clasp_transport_sent_bytes_total",
            "Bytes written to every socket (accepted and outbound links; above TLS)",
            static_cast<double>(t.bytes_sent));
}

}  // namespace

std::string render_metrics(const metrics_snapshot& snapshot) {
  auto registry = std::make_shared<prometheus::Registry>();
  families f(*registry);
  f.gauge("clasp_router_info", "Identity of this router (always 1)", 1,
          {{"router_id", snapshot.router_id}, {"mode", snapshot.mode}});
  if (snapshot.store) {
    store_families(f, *snapshot.store);
    if (snapshot.store->contains("persistence_backlog"))
      persistence_backlog_families(f, member(*snapshot.store, "persistence_backlog"));
  }
  if (snapshot.peers) peer_families(f, *snapshot.peers);
  if (snapshot.persistence) persistence_families(f, *snapshot.persistence);
  if (snapshot.transport) transport_families(f, *snapshot.transport);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry->Collect());
  return out.str();
}

}  // namespace clasp::app
