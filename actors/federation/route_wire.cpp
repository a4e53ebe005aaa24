// Encoding of route advertisements into FEDERATION_SYNC frames and back.
#include "actors/federation/route_wire.hpp"

namespace clasp::federation {

void add_route_capability(msg::federation_sync& declare, std::uint64_t claim_us) {
  declare.revisions.emplace_back(route_capability, claim_us);
  declare.revisions.emplace_back(event_id_capability, 1);
}

neighbour_hello read_route_capability(const msg::federation_sync& declare) {
  neighbour_hello hello;
  for (const auto& [name, value] : declare.revisions)
    if (name == route_capability) {
      hello.route_capable = true;
      hello.claim_us = value;
    } else if (name == event_id_capability) {
      hello.event_ids = true;
    }
  return hello;
}

msg::federation_sync to_wire(const route_advert& advert) {
  msg::federation_sync m;
  m.op = federation_op::route_advert;
  m.origin = advert.owner;
  m.patterns = advert.namespaces;
  for (std::size_t i = 0; i < advert.path.size(); ++i) m.revisions.emplace_back(advert.path[i], i);
  m.since_revision = advert.claim_us;
  return m;
}

std::optional<route_advert> from_wire(const msg::federation_sync& m) {
  if (m.op != federation_op::route_advert || !m.origin || m.origin->empty()) return std::nullopt;
  route_advert advert;
  advert.owner = *m.origin;
  advert.namespaces = m.patterns;
  for (std::size_t i = 0; i < m.revisions.size(); ++i) {
    if (m.revisions[i].second != i) return std::nullopt;  // hops must come in order
    advert.path.push_back(m.revisions[i].first);
  }
  if (!advert.namespaces.empty() && (advert.path.empty() || advert.path.back() != advert.owner))
    return std::nullopt;
  advert.claim_us = m.since_revision.value_or(0);
  return advert;
}

}  // namespace clasp::federation
