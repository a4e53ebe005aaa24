// Paced answers: sync answers, subscription snapshots, revision-vector answers
// and QUERY results. Their cost grows with the table, so none runs in one
// piece: each call sends one bounded slice and returns, the caller releases the
// store lock, and the store's pump continues the job a moment later (see
// locked_store.hpp). What a receiver sees:
// - every record that exists for the whole answer is sent once, as it is when
//   the walk reaches it: at least at its revision at the request, perhaps
//   newer (SETs fanned out meanwhile may arrive before or after its part);
// - a record created during the answer may or may not be in it (a subscriber
//   or link gets it live anyway, and a SyncComplete's seq predates it); the
//   walk ends at the table's slot count at the request, so it always ends;
// - a record removed during the answer is left out (a link gets the tombstone
//   live; clients are never sent removals).
// A SNAPSHOT part never carries a value older than one already sent to that
// receiver: parts are flushed at the end of every slice, before the lock is
// released and newer SETs can be queued behind them.
#include <algorithm>

#include "actors/router/router_core.hpp"
#include "messages/address.hpp"
#include "messages/detail/encoded_sizes.hpp"

namespace clasp::router {

namespace {
// Keep at most this much queued towards a receiver before waiting for its
// socket to drain (well under the queue's soft limit, so live updates are
// never coalesced because of an answer).
constexpr std::size_t queue_budget = 256 * 1024;
constexpr std::size_t snapshot_part_bytes = 60000;
// Records examined per slice of a table walk, times the patterns tested on
// each: about 4,000 pattern tests (random reads of a big table included) take
// well under a millisecond on the lab machines, the longest the store lock
// should be held; a 1,000,000-param walk then takes ~250 slices.
constexpr std::size_t slice_pattern_tests = 4096;
// Revision-vector entries compared per slice (a lookup and an interest check
// each; a vector frame may hold 10,000).
constexpr std::size_t slice_vector_entries = 1024;
// Announced signals examined per QUERY slice.
constexpr std::size_t slice_announced = 4096;

bool matches_any(const std::vector<std::string>& patterns, const std::string& address) {
  for (const auto& p : patterns)
    if (pattern_matches(p, address)) return true;
  return false;
}

// RESULT payload bytes of one signal (see on_query's limit).
std::size_t result_entry_size(const signal_definition& def) {
  return 2 + def.address.size() + 2 + (def.datatype ? 2 + def.datatype->size() : 0) +
         (def.access ? 2 + def.access->size() : 0);
}
}  // namespace

void router_core::start_job(paced_job job) {
  for (const auto& p : job.patterns)
    (is_pattern_with_wildcards(p) ? job.wildcard : job.exact).push_back(p);
  job.end_slot = params_.slot_count();
  std::sort(job.exact.begin(), job.exact.end());
  job.exact.erase(std::unique(job.exact.begin(), job.exact.end()), job.exact.end());
  jobs_.push_back(std::move(job));
  if (waits_for_earlier_query(jobs_.size() - 1)) return;  // its turn comes in a pump
  if (!pump_job(jobs_.back())) jobs_.pop_back();
}

bool router_core::waits_for_earlier_query(std::size_t index) const {
  const paced_job& job = jobs_[index];
  if (job.what != paced_job::kind::query) return false;
  for (std::size_t i = 0; i < index; ++i)
    if (jobs_[i].link == job.link && jobs_[i].what == paced_job::kind::query) return true;
  return false;
}

bool router_core::pump_syncs() {
  for (std::size_t i = 0; i < jobs_.size();) {
    if (waits_for_earlier_query(i) || pump_job(jobs_[i]))
      ++i;
    else
      jobs_.erase(jobs_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return !jobs_.empty();
}

bool router_core::pump_one_sync() {
  if (jobs_.empty()) return false;
  if (next_job_ >= jobs_.size()) next_job_ = 0;
  if (waits_for_earlier_query(next_job_) || pump_job(jobs_[next_job_]))
    ++next_job_;
  else
    jobs_.erase(jobs_.begin() + static_cast<std::ptrdiff_t>(next_job_));  // the next one moves in
  return !jobs_.empty();
}

bool router_core::pump_job(paced_job& job) {
  auto* s = find(job.link);
  if (!s || !s->conn) return false;  // the session went away: drop the job
  switch (job.what) {
    case paced_job::kind::revision_vector:
      return pump_vector(*s, job);
    case paced_job::kind::query:
      return pump_query(*s, job);
    case paced_job::kind::drop_missing:
      return pump_drop_missing(*s, job);
    case paced_job::kind::sync_answer:
    case paced_job::kind::subscription:
      return pump_records(*s, job);
  }
  return false;
}

bool router_core::pump_records(session_info& s, paced_job& job) {
  const bool sync_answer = job.what == paced_job::kind::sync_answer;
  auto send = [&](const transport::frame_ptr& f) {
    if (f) job.bytes_sent += f->size();
    send_frame(s, f);
  };
  auto flush_part = [&] {
    if (job.part.empty()) return;
    msg::snapshot snap;
    snap.params = std::move(job.part);
    send(make_frame(snap));
    job.part.clear();
    job.part_bytes = 3;
    job.sent_snapshot = true;
  };
  // Changed since the watermark (or newer than a bare since-revision); tombstones only in sync answers.
  auto wanted = [&](const param_record& rec) {
    if (rec.seq <= job.since || (rec.tombstone && !sync_answer)) return false;
    return job.newer_than == 0 || rec.revision > job.newer_than;
  };
  auto queue_full = [&] { return s.conn->stats().bytes_queued >= queue_budget; };
  // One record of the answer; false = not taken, the socket must drain first.
  auto take = [&](const std::string& address, const param_record& rec) {
    if (!wanted(rec)) return true;
    // The budget is checked between parts, so whoever pumps leaves the socket room.
    if (job.part.empty() && queue_full()) return false;
    if (rec.tombstone) {
      send(make_frame(tombstone_set(address, rec.revision)));
      return true;
    }
    param_entry entry{address, rec.val, rec.revision, std::nullopt, std::nullopt};
    const std::size_t need = codec::detail::param_entry_size(entry);
    if (3 + need > codec::max_payload) return true;  // cannot travel in any frame
    if (!job.part.empty() && (job.part_bytes + need > snapshot_part_bytes || job.part.size() == 65535)) {
      flush_part();
      if (queue_full()) return false;
    }
    job.part_bytes += need;
    job.part.push_back(std::move(entry));
    return true;
  };
  // Patterns without wildcards: one lookup each (at most 1,000 of them, see sync_limits).
  for (; job.next_exact < job.exact.size(); ++job.next_exact) {
    const std::string& address = job.exact[job.next_exact];
    const param_record* rec = params_.find(address);
    if (rec && !take(address, *rec)) {
      flush_part();
      return true;
    }
  }
  if (!job.wildcard.empty() && job.next_slot < job.end_slot) {
    const std::size_t slots = std::min(job.end_slot - job.next_slot,
                                       std::max<std::size_t>(1, slice_pattern_tests / job.wildcard.size()));
    bool paused = false;
    job.next_slot =
        params_.visit_slots(job.next_slot, slots, [&](const std::string& a, const param_record& rec) {
          if (!wanted(rec)) return true;
          if (!matches_any(job.wildcard, a)) return true;
          // Already sent by its exact pattern.
          if (!job.exact.empty() && std::binary_search(job.exact.begin(), job.exact.end(), a))
            return true;
          paused = !take(a, rec);
          return !paused;
        });
    flush_part();
    if (paused || job.next_slot < job.end_slot) return true;
  }
  flush_part();
  if (!sync_answer) {
    if (job.trailer) send(job.trailer);
    return false;
  }
  finish_sync_answer(s, job);
  return false;
}

bool router_core::pump_vector(session_info& s, paced_job& job) {
  const auto* view = routing_->link(s.id);
  if (!view) return false;  // no longer a declared link: nothing it may be told
  if (s.conn->stats().bytes_queued >= queue_budget) return true;
  const std::size_t end = std::min(job.vector.size(), job.next_entry + slice_vector_entries);
  const auto first = job.vector.begin() + static_cast<std::ptrdiff_t>(job.next_entry);
  const std::vector<std::pair<std::string, revision_t>> slice(
      std::make_move_iterator(first),
      std::make_move_iterator(job.vector.begin() + static_cast<std::ptrdiff_t>(end)));
  job.next_entry = end;
  auto behind = federation::revision_tracker::newer_than(
      slice, [&](const std::string& address) -> const param_record* {
        if (!acceptable_address(address) || !federation::routing_table::interested(*view, address))
          return nullptr;
        return params_.find(address);
      });
  for (auto& part : codec::split_snapshot(std::move(behind.newer))) send_frame(s, make_frame(part));
  for (const auto& [address, rev] : behind.removed)
    send_frame(s, make_frame(tombstone_set(address, rev)));
  return job.next_entry < job.vector.size();
}

bool router_core::pump_query(session_info& s, paced_job& job) {
  if (s.conn->stats().bytes_queued >= queue_budget) return true;
  const std::string& pattern = job.patterns.front();
  // Each RESULT frame stays under the payload limit.
  auto add = [&](signal_definition def) {
    const std::size_t need = result_entry_size(def);
    if (!job.result_part.signals.empty() &&
        (job.result_bytes + need > codec::max_payload || job.result_part.signals.size() == 65535)) {
      send_frame(s, make_frame(job.result_part));
      job.result_part.signals.clear();
      job.result_bytes = 3;
    }
    def.meta.reset();
    job.result_part.signals.push_back(std::move(def));
    job.result_bytes += need;
  };
  auto as_param = [](const std::string& address) {
    signal_definition def;
    def.address = address;
    def.type = signal_type::param;
    return def;
  };
  if (!job.announced_done) {
    // Resumed by key: announced signals are never erased, so the walk stays valid.
    auto it = job.announced_after ? announced_.upper_bound(*job.announced_after) : announced_.begin();
    for (std::size_t n = 0; n < slice_announced && it != announced_.end(); ++n, ++it)
      if (pattern_matches(pattern, it->first)) add(it->second);
    if (it != announced_.end()) {
      job.announced_after = std::prev(it)->first;
      return true;
    }
    job.announced_done = true;
  }
  // Params that are not also announced signals (those were listed above).
  auto listed = [&](const std::string& address) { return announced_.count(address) != 0; };
  if (!job.exact.empty()) {
    if (params_.find_live(pattern) && !listed(pattern)) add(as_param(pattern));
  } else if (job.next_slot < job.end_slot) {
    job.next_slot = params_.visit_slots(
        job.next_slot, std::min(job.end_slot - job.next_slot, slice_pattern_tests),
        [&](const std::string& a, const param_record& rec) {
          if (!rec.tombstone && pattern_matches(pattern, a) && !listed(a)) add(as_param(a));
          return true;
        });
    if (job.next_slot < job.end_slot) return true;
  }
  send_frame(s, make_frame(job.result_part));  // the last (or only) part, even if empty
  return false;
}

// After a complete sync answer on `link` (see drop_missing_after_full_sync).
bool router_core::pump_drop_missing(session_info& link, paced_job& job) {
  // Entries changed since the request went out came from the answer or from
  // live updates; older ones the answer did not confirm are gone at the owner.
  std::vector<std::string> gone;
  auto consider = [&](const std::string& a, const param_record& rec) {
    if (!rec.tombstone && rec.seq <= job.since && !job.confirmed.count(a) && leads_to_owner(link, a))
      gone.push_back(a);
  };
  for (; job.next_exact < job.exact.size(); ++job.next_exact)
    if (const auto* rec = params_.find(job.exact[job.next_exact])) consider(job.exact[job.next_exact], *rec);
  bool more = false;
  if (!job.wildcard.empty() && job.next_slot < job.end_slot) {
    const std::size_t slots =
        std::min(job.end_slot - job.next_slot, std::max<std::size_t>(1, slice_pattern_tests / job.wildcard.size()));
    job.next_slot = params_.visit_slots(job.next_slot, slots, [&](const std::string& a, const param_record& rec) {
      for (const auto& p : job.wildcard)
        if (pattern_matches(p, a)) {
          consider(a, rec);
          break;
        }
      return true;
    });
    more = job.next_slot < job.end_slot;
  }
  const auto now = now_us();
  for (const auto& address : gone) {
    // A tombstone one above the value (what the owner's purged one was), so
    // our own replicas drop it too; purged here after the retention as well.
    if (!params_.remove(address, now)) continue;
    fan_out_tombstone(address, *params_.find(address), link.id);
  }
  return more;
}

}  // namespace clasp::router
