// Persistence actor: stage what arrives, commit in one transaction per batch.
#include "actors/router/persistence_actor.hpp"

#include <chrono>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/actor_types.hpp"
#include "actors/router/state_db.hpp"
#include "actors/router/stats_json.hpp"
#include "actors/router/value_histogram.hpp"
#include "actors/thread_priority.hpp"

namespace clasp::actors {

namespace {

struct persistence_state {
  std::shared_ptr<router::state_db> db;
  std::uint64_t commits = 0;
  std::uint64_t commit_failures = 0;
  bool warned = false;
  // Per persist_batch from the store: staging plus commit, and how many params it held.
  router::value_histogram batch_seconds{
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  router::value_histogram batch_params{{1, 10, 100, 1000, 10000, 100000}};
  bool unsynced = false;  // logged or committed since the last sync to disk
  bool draining = false;  // a drain message is on its way
  std::chrono::steady_clock::time_point last_batch{};
  std::uint64_t log_failures = 0;
  static inline const char* name = "persistence";
};

using persistence_self = persistence_actor::stateful_pointer<persistence_state>;

bool commit(persistence_self self) {
  auto& st = self->state;
  std::string error;
  const bool had_work = st.db->staged() != 0;
  if (st.db->commit(&error)) {
    ++st.commits;
    st.warned = false;
    st.unsynced = st.unsynced || had_work;
    return true;
  } else {
    ++st.commit_failures;
    if (!st.warned) {
      // Staged changes are kept and retried with the next batch.
      spdlog::error("persistence: commit to {} failed: {}", st.db->path(), error);
      st.warned = true;
    }
    return false;
  }
}

// SQLite commits are the longest CPU bursts of all actor work: on their own
// thread, below the other actor threads (see thread_priority.hpp; measured:
// cross-site p99 with --state-db 420-540 us -> 210-360 us).
constexpr int persistence_nice = 10;

// With synchronous=NORMAL a commit reaches the OS at once (survives a crash of
// the process) but the disk only at a checkpoint; one a second (with an
// fdatasync of the change log) bounds what a power loss can take to about a second.
constexpr auto disk_sync_interval = std::chrono::seconds(1);
// The change log is applied to the database in steps of about this many
// params (~2-4 ms), each its own transaction: a batch from the store (sent
// with high priority) waits for one step at most. (2,000-row steps made a
// pipelined burst's batches wait ~10 ms each: 94k ACKed SET/s against 240-290k.)
constexpr std::size_t drain_rows = 500;
// Log not applied yet, at most: past it a batch is answered only after the
// database caught up below it, so the backpressure of the store slows clients
// to what SQLite takes, and disk use and the replay at start stay bounded
// (128 MiB: about 1.5 million new params, 5-10 s of replay).
constexpr std::uint64_t max_log_backlog = 128u << 20;
// Steps run while batches pause this long: during a burst the thread appends
// (fast) and applies after it, rather than making every batch wait for a step.
constexpr auto drain_after_idle = std::chrono::milliseconds(5);

// Applies one step of the change log; true if more is left.
bool apply_step(persistence_self self) {
  auto& st = self->state;
  std::string error;
  if (!st.db->apply_logged(drain_rows, &error)) {
    ++st.commit_failures;
    if (!st.warned) {
      spdlog::error("persistence: applying the change log to {} failed: {}", st.db->path(), error);
      st.warned = true;
    }
    return false;  // retried with the next batch or tick
  }
  ++st.commits;
  st.warned = false;
  st.unsynced = true;
  return st.db->log_backlog_bytes() > 0;
}

void schedule_drain(persistence_self self) {
  if (self->state.draining || self->state.db->log_backlog_bytes() == 0) return;
  self->state.draining = true;
  self->send(self, pump_atom_v);
}

// Fallback when the log cannot be written (disk full, I/O error): the batch
// goes straight into the database, as before the log existed.
bool commit_directly(persistence_self self, persist_batch& batch) {
  auto& db = *self->state.db;
  for (const auto& address : batch.erased) db.stage_erase(address);
  if (batch.params.use_count() == 1) {
    for (auto& [address, rec] : *batch.params) db.stage_param(std::move(address), std::move(rec));
  } else {
    for (const auto& [address, rec] : *batch.params) db.stage_param(address, rec);
  }
  db.stage_purge_marks(batch.tombstone_horizon, batch.revision_floor);
  for (const auto& [router_id, mark] : batch.watermarks)
    db.stage_watermark(router_id, mark.seq, mark.incarnation);
  return commit(self);
}

persistence_actor::behavior_type persistence_behavior(persistence_self self,
                                                      std::shared_ptr<router::state_db> db) {
  self->state.db = std::move(db);
  if (!set_current_thread_nice(persistence_nice))
    spdlog::debug("persistence: could not lower the thread's priority");
  self->delayed_send(self, disk_sync_interval, tick_atom_v);
  return {
      [=](tick_atom) {
        auto& st = self->state;
        if (st.unsynced) {
          std::string error;
          if (st.db->sync_to_disk(&error))
            st.unsynced = false;
          else
            spdlog::warn("persistence: syncing {} to disk failed: {}", st.db->path(), error);
        }
        self->delayed_send(self, disk_sync_interval, tick_atom_v);
      },
      [=](persist_batch& batch) -> bool {
        const auto started = std::chrono::steady_clock::now();
        auto& st = self->state;
        st.last_batch = started;
        auto& db = *st.db;
        const auto param_count = batch.params->size();
        std::string error;
        bool done = db.log_batch(*batch.params, batch.erased, batch.watermarks,
                                 batch.tombstone_horizon, batch.revision_floor, &error);
        if (done) {
          st.unsynced = true;
          // The database lags the log by a bounded amount (see max_log_backlog).
          while (db.log_backlog_bytes() > max_log_backlog && apply_step(self)) {
          }
          schedule_drain(self);
        } else {
          if (st.log_failures++ == 0)
            spdlog::error("persistence: {}; committing batches to the database directly", error);
          done = commit_directly(self, batch);
        }
        batch.params.reset();
        st.batch_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        st.batch_params.observe(static_cast<double>(param_count));
        return done;
      },
      [=](pump_atom) {
        auto& st = self->state;
        const auto idle = std::chrono::steady_clock::now() - st.last_batch;
        if (idle < drain_after_idle) {
          self->delayed_send(self, drain_after_idle - idle, pump_atom_v);
          return;
        }
        st.draining = false;
        if (apply_step(self)) schedule_drain(self);
      },
      [=](persist_namespaces& ns) {
        self->state.db->stage_peer_namespaces(ns.router_id, ns.patterns);
        commit(self);
      },
      [=](shutdown_atom) -> bool {
        // Leaves a database that holds everything, if that fits well inside
        // the node's 10 s wait for this answer; what is left stays in the
        // log (synced below) and is applied at the next start.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (self->state.db->log_backlog_bytes() > 0 && std::chrono::steady_clock::now() < give_up &&
               apply_step(self)) {
        }
        commit(self);
        std::string error;
        if (self->state.unsynced && !self->state.db->sync_to_disk(&error))
          spdlog::warn("persistence: syncing {} to disk failed: {}", self->state.db->path(), error);
        return true;
      },
      [=](stats_atom) -> std::string {
        const auto& st = self->state;
        return nlohmann::json{{"commits", st.commits},
                              {"commit_failures", st.commit_failures},
                              {"log_backlog_bytes", st.db->log_backlog_bytes()},
                              {"log_failures", st.log_failures},
                              {"rows_applied", st.db->applied_rows()},
                              {"batch_seconds", router::histogram_json(st.batch_seconds)},
                              {"batch_params", router::histogram_json(st.batch_params)}}
            .dump();
      },
  };
}

}  // namespace

persistence_actor spawn_persistence(caf::actor_system& sys, std::shared_ptr<router::state_db> db) {
  // Detached: its own thread, so the lowered priority touches nothing else.
  return sys.spawn<caf::detached>(persistence_behavior, std::move(db));
}

}  // namespace clasp::actors
