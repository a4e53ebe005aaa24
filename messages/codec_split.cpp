// Splitting large snapshots and revision vectors into messages that each fit
// one frame, greedily and in input order.
#include <algorithm>

#include "messages/codec.hpp"
#include "messages/detail/encoded_sizes.hpp"

namespace clasp::codec {

std::vector<msg::snapshot> split_snapshot(std::vector<param_entry> params, std::size_t limit,
                                          std::vector<std::string>* oversized) {
  std::vector<msg::snapshot> parts;
  std::size_t used = 0;
  for (auto& p : params) {
    const std::size_t n = detail::param_entry_size(p);
    if (detail::empty_snapshot_size + n > limit) {
      if (oversized) oversized->push_back(p.address);
      continue;
    }
    if (parts.empty() || used + n > limit || parts.back().params.size() >= detail::max_count) {
      parts.emplace_back();
      used = detail::empty_snapshot_size;
    }
    parts.back().params.push_back(std::move(p));
    used += n;
  }
  return parts;
}

std::vector<msg::federation_sync> split_revision_vector(
    const msg::federation_sync& proto, std::vector<std::pair<std::string, revision_t>> revisions,
    std::size_t limit, std::size_t max_entries) {
  msg::federation_sync empty = proto;
  empty.revisions.clear();
  const std::size_t base = encoded_size(message(empty));
  std::vector<msg::federation_sync> parts;
  if (base > limit) return parts;
  max_entries = std::clamp<std::size_t>(max_entries, 1, detail::max_count);
  std::size_t used = 0;
  for (auto& entry : revisions) {
    const std::size_t n = detail::revision_entry_size(entry.first);
    if (base + n > limit) continue;  // an address this long never fits
    if (parts.empty() || used + n > limit || parts.back().revisions.size() >= max_entries) {
      parts.push_back(empty);
      used = base;
    }
    parts.back().revisions.push_back(std::move(entry));
    used += n;
  }
  // An empty vector is still worth sending: it tells the peer "I hold nothing".
  if (parts.empty()) parts.push_back(std::move(empty));
  return parts;
}

}  // namespace clasp::codec
