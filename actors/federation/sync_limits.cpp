// FEDERATION_SYNC count limits, shared by the session actor and router_core.
#include "actors/federation/sync_limits.hpp"

#include "actors/federation/namespace_registry.hpp"

namespace clasp::federation {

std::optional<std::string> sync_limit_violation(const msg::federation_sync& m) {
  if (m.patterns.size() > max_federation_patterns)
    return "too many namespace patterns: " + std::to_string(m.patterns.size()) + " (limit " +
           std::to_string(max_federation_patterns) + ")";
  if (m.revisions.size() > max_revision_entries)
    return "revision vector too large: " + std::to_string(m.revisions.size()) + " entries (limit " +
           std::to_string(max_revision_entries) + ")";
  return std::nullopt;
}

}  // namespace clasp::federation
