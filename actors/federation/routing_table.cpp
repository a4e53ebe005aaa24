// Ownership and interest lookups over a routing_table snapshot.
#include "actors/federation/routing_table.hpp"

#include "messages/address.hpp"

namespace clasp::federation {

owner_lookup routing_table::owner_of(std::string_view address) const {
  for (const auto& p : own)
    if (pattern_matches(p, address)) return {owner_kind::self, nullptr};
  // A reachable owner wins over a remembered, disconnected one.
  const remote_namespace* unreachable = nullptr;
  for (const auto& r : remote) {
    if (!pattern_matches(r.pattern, address)) continue;
    if (r.via != 0) return {owner_kind::remote, &r};
    if (!unreachable) unreachable = &r;
  }
  if (unreachable) return {owner_kind::remote, unreachable};
  return {};
}

const link_view* routing_table::link(link_id_t id) const {
  for (const auto& l : links)
    if (l.id == id) return &l;
  return nullptr;
}

bool routing_table::interested(const link_view& link, std::string_view address) {
  for (const auto& p : link.interest)
    if (pattern_matches(p, address)) return true;
  return false;
}

bool routing_table::replicates(const link_view& link, std::string_view address) {
  for (const auto& p : link.replicas)
    if (pattern_matches(p, address)) return true;
  return false;
}

bool routing_table::covers(const link_view& link, std::string_view pattern) {
  for (const auto& p : link.syncable)
    if (covered_by(pattern, p)) return true;
  return false;
}

}  // namespace clasp::federation
