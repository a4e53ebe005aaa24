// Param table rules: revisions, conditional writes, locks, TTL and tombstones.
#include "actors/router/param_store.hpp"

#include <algorithm>

#include "messages/address.hpp"

namespace clasp::router {

namespace {
constexpr std::uint64_t micros_per_second = 1000000;
const std::string& no_holder() {
  static const std::string empty;
  return empty;
}
}  // namespace

set_outcome param_store::check_local(const msg::set& set, std::string_view writer) const {
  set_outcome out;
  auto it = params_.find(set.address);
  const param_record* rec = it == params_.end() ? nullptr : &it->second;
  const std::string& holder = locks_.empty() ? no_holder() : lock_holder(set.address);
  if (!holder.empty() && holder != writer) {
    out.error = error_code::lock_held;
    out.error_text = "param is locked by another session";
    return out;
  }
  if (set.revision) {
    revision_t held = (rec && !rec->tombstone) ? rec->revision : 0;
    if (*set.revision != held) {
      out.error = error_code::bad_request;
      out.error_text = "revision conflict: expected " + std::to_string(*set.revision) +
                       ", current " + std::to_string(held);
      return out;
    }
  }
  if (rec && rec->revision >= max_revision) {
    out.error = error_code::bad_request;
    out.error_text = "revision space of '" + set.address + "' exhausted (2^53)";
    return out;
  }
  return out;  // unlocking an unlocked param is harmless: nothing to refuse
}

void param_store::raise_revision_floor(revision_t floor) {
  floor_ = std::min(std::max(floor_, floor), max_revision);
}

revision_t param_store::next_revision(const std::string& address) const {
  const param_record* rec = find(address);
  return rec ? rec->revision + 1 : floor_;
}

set_outcome param_store::apply_local(const msg::set& set, std::string_view writer,
                                     std::uint64_t now_us, bool unowned) {
  return apply_local_impl(set, writer, now_us, unowned);
}

set_outcome param_store::apply_local(msg::set&& set, std::string_view writer, std::uint64_t now_us,
                                     bool unowned) {
  return apply_local_impl(std::move(set), writer, now_us, unowned);
}

template <class Set>
set_outcome param_store::apply_local_impl(Set&& set, std::string_view writer, std::uint64_t now_us,
                                          bool unowned) {
  set_outcome out = check_local(set, writer);
  if (out.error != 0) return out;
  auto [it, inserted] = params_.try_emplace(set.address);
  if (inserted) take_slot(*it);
  param_record& rec = it->second;
  if (inserted || rec.tombstone) ++live_;
  rec.tombstone = false;
  rec.val = std::forward<Set>(set).val;
  rec.revision = inserted ? floor_ : rec.revision + 1;
  if (!(last_writer_ == writer)) last_writer_ = writer;
  rec.writer.share(last_writer_);
  rec.timestamp_us = now_us;
  rec.seq = ++seq_;
  rec.written_here = true;
  rec.written_unowned = unowned;
  note_changed(it->first, rec);
  if (set.lock) {
    auto& holder = locks_[it->first];
    out.lock_changed = holder != writer;
    holder.assign(writer.data(), writer.size());
  }
  if (auto lock = locks_.find(it->first); set.unlock && lock != locks_.end() && lock->second == writer) {
    locks_.erase(lock);
    out.lock_changed = true;
  }
  arm_ttl(rec, set.ttl, now_us);
  out.revision = rec.revision;
  return out;
}

void param_store::arm_ttl(param_record& rec, const std::optional<ttl_spec>& ttl,
                          std::uint64_t now_us) {
  bool had = rec.expires_at_us != 0;
  if (ttl) {
    if (ttl->seconds == 0) {
      rec.expires_at_us = 0;
      rec.sliding_ttl_s = 0;
    } else if (ttl->absolute) {
      rec.expires_at_us = std::uint64_t{ttl->seconds} * micros_per_second;
      rec.sliding_ttl_s = 0;
    } else {
      rec.sliding_ttl_s = ttl->seconds;
      rec.expires_at_us = now_us + std::uint64_t{ttl->seconds} * micros_per_second;
    }
  } else if (rec.sliding_ttl_s != 0) {
    rec.expires_at_us = now_us + std::uint64_t{rec.sliding_ttl_s} * micros_per_second;
  }
  bool has = rec.expires_at_us != 0;
  if (has && !had) ++ttl_armed_;
  if (!has && had) --ttl_armed_;
}

bool param_store::apply_remote(const param_entry& entry, bool tombstone, std::uint64_t now_us,
                               bool from_owner) {
  const std::string_view writer = entry.writer ? std::string_view(*entry.writer) : std::string_view();
  return apply_remote(entry.address, value(entry.val), entry.revision, writer, tombstone,
                      entry.timestamp.value_or(now_us), from_owner) != nullptr;
}

const param_record* param_store::apply_remote(const std::string& address, value&& val,
                                              revision_t revision, std::string_view writer,
                                              bool tombstone, std::uint64_t timestamp_us,
                                              bool from_owner) {
  if (revision > max_revision) return nullptr;  // no router of ours numbers that high
  auto [it, inserted] = params_.try_emplace(address);
  param_record& rec = it->second;
  if (!inserted && revision <= rec.revision && !(from_owner && rec.written_unowned)) return nullptr;
  if (inserted) take_slot(*it);
  if (!tombstone && (inserted || rec.tombstone)) ++live_;
  if (tombstone && !inserted && !rec.tombstone) --live_;
  rec.tombstone = tombstone;
  rec.written_here = false;
  rec.written_unowned = false;
  if (tombstone)
    rec.val = value{};
  else
    rec.val = std::move(val);
  rec.revision = revision;
  // Replicated params mostly share one writer (the link's router id).
  if (!(last_writer_ == writer)) last_writer_ = writer;
  rec.writer.share(last_writer_);
  rec.timestamp_us = timestamp_us;
  rec.seq = ++seq_;
  note_changed(it->first, rec);
  if (tombstone) note_tombstone(it->first, rec);
  // Replicas never expire on their own: the owner decides and sends a tombstone.
  if (rec.expires_at_us != 0) --ttl_armed_;
  rec.expires_at_us = 0;
  rec.sliding_ttl_s = 0;
  return &rec;
}

revision_t param_store::renumber_above(const std::string& address, revision_t seen,
                                       std::uint64_t now_us) {
  auto [it, inserted] = params_.try_emplace(address);
  if (inserted) take_slot(*it);
  auto& rec = it->second;
  rec.revision = std::min(seen + 1, max_revision);
  rec.timestamp_us = now_us;
  rec.seq = ++seq_;
  note_changed(address, rec);
  return rec.revision;
}

std::optional<revision_t> param_store::remove(const std::string& address, std::uint64_t now_us) {
  auto it = params_.find(address);
  if (it == params_.end() || it->second.tombstone) return std::nullopt;
  param_record& rec = it->second;
  rec.tombstone = true;
  rec.val = value{};
  rec.revision += 1;
  rec.timestamp_us = now_us;
  rec.seq = ++seq_;
  note_changed(it->first, rec);
  note_tombstone(it->first, rec);
  locks_.erase(address);
  if (rec.expires_at_us != 0) --ttl_armed_;
  rec.expires_at_us = 0;
  rec.sliding_ttl_s = 0;
  --live_;
  return rec.revision;
}

void param_store::take_slot(table::value_type& node) {
  if (free_slots_.empty()) {
    node.second.slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(&node);
  } else {
    node.second.slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[node.second.slot] = &node;
  }
}

void param_store::erase_record(table::iterator it) {
  if (track_) erased_.push_back(it->first);  // a pending change entry finds it gone
  slots_[it->second.slot] = nullptr;
  free_slots_.push_back(it->second.slot);
  params_.erase(it);
}

std::size_t param_store::visit_slots(
    std::size_t from, std::size_t count,
    const std::function<bool(const std::string&, const param_record&)>& f) const {
  const std::size_t end = std::min(slots_.size(), from + count);
  for (std::size_t i = from; i < end; ++i)
    if (const auto* node = slots_[i]; node && !f(node->first, node->second)) return i;
  return end;
}

std::vector<std::string> param_store::take_erased() {
  std::vector<std::string> out;
  out.swap(erased_);
  return out;
}

void param_store::note_tombstone(const std::string& address, const param_record& rec) {
  tombstone_queue_.push_back({address, rec.seq, rec.timestamp_us});
}

void param_store::note_changed(const std::string&, param_record& rec) {
  if (!track_ || rec.unsaved) return;  // listed once per batch, however often it changes
  rec.unsaved = true;
  changed_.push_back(rec.slot);
}

std::vector<std::pair<std::string, param_record>> param_store::take_changed(
    std::size_t max_count) {
  std::vector<std::pair<std::string, param_record>> out;
  out.reserve(std::min(max_count, changed_.size()));
  while (out.size() < max_count && !changed_.empty()) {
    const std::uint32_t slot = changed_.front();
    changed_.pop_front();
    auto* node = slot < slots_.size() ? slots_[slot] : nullptr;
    if (node == nullptr) continue;  // dropped (purged) since it changed
    node->second.unsaved = false;
    out.emplace_back(node->first, node->second);
  }
  return out;
}

void param_store::restore(const std::string& address, param_record rec) {
  rec.written_here = false;
  auto [it, inserted] = params_.try_emplace(address);
  const std::uint32_t slot = it->second.slot;
  it->second = std::move(rec);
  if (inserted)
    take_slot(*it);
  else
    it->second.slot = slot;
  const auto& r = it->second;
  if (!r.tombstone) ++live_;
  if (r.tombstone) note_tombstone(it->first, r);  // restored by seq: the queue stays in order
  if (r.expires_at_us != 0) ++ttl_armed_;
  if (r.seq > seq_) seq_ = r.seq;
}

void param_store::start_sequence_at(change_seq_t seq) {
  if (seq > seq_) seq_ = seq;
}

void param_store::release_locks(std::string_view holder) {
  for (auto it = locks_.begin(); it != locks_.end();)
    it = it->second == holder ? locks_.erase(it) : std::next(it);
}

const std::string& param_store::lock_holder(const std::string& address) const {
  auto it = locks_.find(address);
  return it == locks_.end() ? no_holder() : it->second;
}

const param_record* param_store::find(const std::string& address) const {
  auto it = params_.find(address);
  return it == params_.end() ? nullptr : &it->second;
}

const param_record* param_store::find_live(const std::string& address) const {
  auto rec = find(address);
  return rec && !rec->tombstone ? rec : nullptr;
}

std::size_t param_store::due_expiries(std::uint64_t now_us, std::size_t from, std::size_t max_slots,
                                      std::size_t max_due, std::vector<std::string>& due) const {
  if (ttl_armed_ == 0) return slots_.size();
  std::size_t taken = 0;
  return visit_slots(from, max_slots, [&](const std::string& address, const param_record& rec) {
    if (rec.expires_at_us == 0 || rec.expires_at_us > now_us || rec.tombstone) return true;
    if (taken == max_due) return false;  // the next slice starts with this one
    ++taken;
    due.push_back(address);
    return true;
  });
}

void param_store::for_each_matching(
    std::string_view pattern, change_seq_t since, bool include_tombstones,
    const std::function<void(const std::string&, const param_record&)>& f) const {
  bool exact = !is_pattern_with_wildcards(pattern);
  if (exact) {
    auto it = params_.find(std::string(pattern));
    if (it != params_.end() && it->second.seq > since &&
        (include_tombstones || !it->second.tombstone))
      f(it->first, it->second);
    return;
  }
  for (const auto& [address, rec] : params_) {
    if (rec.seq <= since) continue;
    if (rec.tombstone && !include_tombstones) continue;
    if (pattern_matches(pattern, address)) f(address, rec);
  }
}

bool param_store::purge_tombstones(std::uint64_t cutoff_us, std::size_t max_count) {
  for (std::size_t n = 0; n < max_count && !tombstone_queue_.empty(); ++n) {
    const tombstone_note& note = tombstone_queue_.front();
    if (note.made_us > cutoff_us) return false;  // the rest are younger
    auto it = params_.find(note.address);
    // Revived or removed again since: a later note (or none) speaks for it.
    if (it != params_.end() && it->second.tombstone && it->second.seq == note.seq) {
      tombstone_horizon_ = std::max(tombstone_horizon_, note.seq);
      // Never hand out a purged revision again (a replica may still hold its tombstone).
      raise_revision_floor(it->second.revision + 1);
      erase_record(it);
    }
    tombstone_queue_.pop_front();
  }
  return !tombstone_queue_.empty() && tombstone_queue_.front().made_us <= cutoff_us;
}

}  // namespace clasp::router
