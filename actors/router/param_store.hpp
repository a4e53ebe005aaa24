// The param table of one router: values, per-address revisions, writers,
// locks, TTLs and tombstones. Plain C++ (no actors): the state_store actor owns
// one instance and is the only one to touch it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/router/writer_name.hpp"
#include "messages/messages.hpp"

namespace clasp::router {

// A router-local, ever-increasing change sequence number. Every change to the
// table (set, remote apply, expiry) gets the next one; peers sync "everything
// changed since N" with it, so a resync costs what changed, not the whole table.
using change_seq_t = std::uint64_t;

// How far we synced from a peer: its change seq at the end of the last sync,
// and the incarnation (a random id per process start) that numbered it. A seq
// means nothing to another incarnation of that peer, so a mismatch asks for
// everything; 0 = unknown (a peer that does not send one).
struct sync_mark {
  change_seq_t seq = 0;
  std::uint64_t incarnation = 0;
  bool operator==(const sync_mark& o) const { return seq == o.seq && incarnation == o.incarnation; }
};

// Revisions stay below 2^53: @clasp-to/core reads them into a JS Number, and
// above that a conditional SET echoing one would fail.
constexpr revision_t max_revision = (revision_t{1} << 53) - 1;

struct param_record {
  value val;
  revision_t revision = 0;
  writer_name writer;             // session id or router id of the last writer (shared)
  std::uint64_t timestamp_us = 0;  // when the value was last changed
  change_seq_t seq = 0;
  bool tombstone = false;         // removed (expired); kept so removals sync too
  bool written_here = false;      // set by a write this router accepted as owner since it started
  bool written_unowned = false;   // that write was to an address no router we knew owned
  bool unsaved = false;           // listed for the next persistence batch (change tracking on)
  std::uint64_t expires_at_us = 0;  // 0 = never
  std::uint32_t sliding_ttl_s = 0;  // re-armed on each update when non-zero
  std::uint32_t slot = 0;           // its place in the store's scan order (see visit_slots)
};

struct set_outcome {
  std::uint16_t error = 0;  // 0 = applied; else a CLASP error code
  std::string error_text;
  revision_t revision = 0;
  bool lock_changed = false;
};

class param_store {
 public:
  // A write accepted by this router as the owner (or for an unowned address):
  // checks conditional revision and locks, assigns the next revision.
  // `unowned`: no router we know owns the address (a later owner's value replaces it).
  set_outcome apply_local(const msg::set& set, std::string_view writer, std::uint64_t now_us,
                          bool unowned = false);
  // Same, taking the value out of `set` instead of copying it (hot path).
  set_outcome apply_local(msg::set&& set, std::string_view writer, std::uint64_t now_us,
                          bool unowned = false);

  // Checks whether apply_local would succeed, without changing anything (BUNDLE).
  set_outcome check_local(const msg::set& set, std::string_view writer) const;

  // A replica update from a peer: applied only if its revision is newer than
  // what is held (tombstones included). Returns true if applied.
  // `from_owner`: it comes from the address's known owner, which also
  // replaces a value this router wrote itself while it did not know that
  // owner (its revision numbers another history, higher or not).
  bool apply_remote(const param_entry& entry, bool tombstone, std::uint64_t now_us,
                    bool from_owner = false);
  // Same for a replicated SET (hot path): one table lookup, the value moved in,
  // `timestamp_us` recorded as the change time. Returns the record if applied,
  // null if not newer.
  const param_record* apply_remote(const std::string& address, value&& val, revision_t revision,
                                   std::string_view writer, bool tombstone, std::uint64_t timestamp_us,
                                   bool from_owner = false);

  // The owner learns that a replica holds `seen` for an address it wrote since
  // it started (it restarted without its state): its own value stays and is
  // renumbered above `seen`, so every replica takes it. Returns the new revision.
  revision_t renumber_above(const std::string& address, revision_t seen, std::uint64_t now_us);

  // The first revision this store assigns to an address it holds no record of
  // (see docs/architecture.md, "Revisions"): the router sets it to its
  // incarnation start in microseconds, so an owner that restarted without its
  // state still numbers above what replicas kept. Only ever raised.
  void raise_revision_floor(revision_t floor);
  revision_t revision_floor() const { return floor_; }
  // The revision a local write to `address` would get now.
  revision_t next_revision(const std::string& address) const;

  // Removes a param as its owner (TTL expiry): leaves a tombstone with the next revision.
  // Returns the tombstone's revision, or nothing if the address held no live param.
  std::optional<revision_t> remove(const std::string& address, std::uint64_t now_us);

  // Releases every lock held by `holder` (its session ended).
  void release_locks(std::string_view holder);
  // The session holding the lock on `address`; empty = unlocked.
  const std::string& lock_holder(const std::string& address) const;

  const param_record* find(const std::string& address) const;
  const param_record* find_live(const std::string& address) const;

  // Addresses whose TTL has passed at `now_us`, among the records in slots
  // [from, from + max_slots) (see visit_slots): appended to `due`, at most
  // `max_due` of them (the slice then stops at the next due record). Returns
  // where the next slice starts; slot_count() when the walk is done, at once
  // when no record carries a TTL. A slice's cost is bounded by its arguments,
  // not by the table.
  std::size_t due_expiries(std::uint64_t now_us, std::size_t from, std::size_t max_slots,
                           std::size_t max_due, std::vector<std::string>& due) const;

  // Visits live params (and tombstones when asked) matching `pattern` whose
  // change seq is greater than `since`.
  void for_each_matching(std::string_view pattern, change_seq_t since, bool include_tombstones,
                         const std::function<void(const std::string&, const param_record&)>& f) const;

  // Drops at most `max_count` tombstones made at or before `cutoff_us` (the
  // retention has passed), oldest first, so one call holds the caller's lock
  // for a bounded time. Records the highest purged seq as the horizon (a peer
  // synced from below it may have missed a removal) and raises the revision
  // floor above each purged revision. Returns true while more are due.
  bool purge_tombstones(std::uint64_t cutoff_us, std::size_t max_count);
  // Tombstones waiting for their retention to pass (and notes of revived ones, skipped when due).
  std::size_t queued_tombstones() const { return tombstone_queue_.size(); }

  // Persistence support: what changed since the last take (addresses, each
  // once), and bulk restore of what a previous run saved.
  void track_changes(bool on) { track_ = on; }
  // Copies of at most `max_count` changed records with their addresses, oldest
  // change first (the caller's lock is held for a bounded time; the rest waits
  // for the next take). Records dropped since their change are left out.
  std::vector<std::pair<std::string, param_record>> take_changed(std::size_t max_count = SIZE_MAX);
  std::size_t changed_count() const { return changed_.size(); }
  // Addresses whose record was dropped (purged tombstones) since the last
  // take; the database deletes them. Taken before take_changed(): an address
  // dropped and written again appears in both, and the write must win.
  std::vector<std::string> take_erased();
  void restore(const std::string& address, param_record rec);
  // Change sequence numbers continue from here (never go back).
  void start_sequence_at(change_seq_t seq);
  void restore_tombstone_horizon(change_seq_t h) {
    tombstone_horizon_ = std::max(tombstone_horizon_, h);
  }

  // Scans in slices, for callers that release their lock between slices.
  // Every record keeps one slot from its insertion to its erasure (a freed slot
  // is reused by a later insertion), so a walk over slots 0, 1, 2, ... in
  // slices visits every record that exists for the whole walk exactly once,
  // as it is when visited; records inserted meanwhile may or may not be visited
  // (a walk up to the slot count at its start ends however many are inserted).
  std::size_t slot_count() const { return slots_.size(); }
  // Visits the records in slots [from, from + count) (empty slots skipped) and
  // returns where the next slice starts; done when it returns slot_count().
  // `f` returning false stops the slice before that record (the returned slot
  // is its own, so the next slice starts with it).
  std::size_t visit_slots(std::size_t from, std::size_t count,
                          const std::function<bool(const std::string&, const param_record&)>& f) const;

  change_seq_t current_seq() const { return seq_; }
  change_seq_t tombstone_horizon() const { return tombstone_horizon_; }
  std::size_t live_count() const { return live_; }
  std::size_t size() const { return params_.size(); }

 private:
  template <class Set>
  set_outcome apply_local_impl(Set&& set, std::string_view writer, std::uint64_t now_us, bool unowned);
  void arm_ttl(param_record& rec, const std::optional<ttl_spec>& ttl, std::uint64_t now_us);

  using table = std::unordered_map<std::string, param_record>;
  table params_;
  // Slot -> record (null: free). Nodes of params_ never move, so the pointers
  // stay valid across rehashes; a slot is freed only by erase_record.
  std::vector<table::value_type*> slots_;
  std::vector<std::uint32_t> free_slots_;
  void take_slot(table::value_type& node);
  // Locks are rare: kept apart so a param costs no holder string, and a closing
  // session releases its locks without a scan of the whole table.
  std::unordered_map<std::string, std::string> locks_;  // address -> holder session
  writer_name last_writer_;  // consecutive writes by one writer share its name
  change_seq_t seq_ = 0;
  change_seq_t tombstone_horizon_ = 0;
  std::size_t live_ = 0;
  std::size_t ttl_armed_ = 0;  // how many records carry an expiry (skip scans when 0)
  void note_changed(const std::string& address, param_record& rec);
  void note_tombstone(const std::string& address, const param_record& rec);
  void erase_record(table::iterator it);
  std::vector<std::string> erased_;
  bool track_ = false;
  revision_t floor_ = 1;
  // Tombstones in the order they were made (so also by seq), for purging the
  // oldest without a scan of the table. An entry whose record changed since is skipped.
  struct tombstone_note {
    std::string address;
    change_seq_t seq = 0;
    std::uint64_t made_us = 0;
  };
  std::deque<tombstone_note> tombstone_queue_;
  // Slots of changed records, each once (param_record::unsaved): a slot, not
  // the address, so tracking costs no string copy and taking no lookup. A
  // slot freed and reused since names a newer record, whose current state is
  // then written early (harmless: the database keeps the latest per address).
  std::deque<std::uint32_t> changed_;
};

}  // namespace clasp::router
