// Sync watermarks per peer and the revision-vector comparison.
#include "actors/federation/revision_tracker.hpp"

namespace clasp::federation {

std::optional<sync_mark> revision_tracker::watermark(const std::string& router_id) const {
  auto it = marks_.find(router_id);
  if (it == marks_.end()) return std::nullopt;
  return it->second;
}

void revision_tracker::record_sync(const std::string& router_id, sync_mark mark) {
  marks_[router_id] = mark;
  if (track_) changed_[router_id] = mark;
}

void revision_tracker::restore(std::map<std::string, sync_mark> saved) {
  marks_ = std::move(saved);
}

std::map<std::string, sync_mark> revision_tracker::take_changed() {
  std::map<std::string, sync_mark> out;
  out.swap(changed_);
  return out;
}

revision_tracker::behind_peer revision_tracker::newer_than(
    const std::vector<std::pair<std::string, revision_t>>& theirs, const record_lookup& ours) {
  behind_peer out;
  for (const auto& [address, rev] : theirs) {
    const router::param_record* rec = ours(address);
    if (!rec || rec->revision <= rev) continue;
    // Removals travel too, or the peer would keep a value we dropped.
    if (rec->tombstone)
      out.removed.emplace_back(address, rec->revision);
    else
      out.newer.push_back({address, rec->val, rec->revision, std::nullopt, std::nullopt});
  }
  return out;
}

}  // namespace clasp::federation
