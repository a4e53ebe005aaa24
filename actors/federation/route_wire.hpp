// How route advertisements and the capability to speak them travel in
// FEDERATION_SYNC frames between our own routers. Another implementation never
// sees op 5: it is sent only to a neighbour whose DeclareNamespaces carried
// the capability entry, which other routers ignore (an unused revision pair).
#pragma once

#include <optional>

#include "actors/federation/namespace_registry.hpp"
#include "messages/messages.hpp"

namespace clasp::federation {

// The revision-vector entry our DeclareNamespaces carries: name -> claim time (µs).
inline constexpr const char* route_capability = "clasp:route-v1";
// The entry saying its sender numbers events and reads our numbers (value 1).
inline constexpr const char* event_id_capability = "clasp:event-id-v1";

// Marks `declare` as coming from a router that speaks route advertisements
// and event ids.
void add_route_capability(msg::federation_sync& declare, std::uint64_t claim_us);
// What a DeclareNamespaces says about its sender.
neighbour_hello read_route_capability(const msg::federation_sync& declare);

// op 5: origin = owner, patterns = namespaces (none: withdrawn), revisions =
// the path as (router id, hop index), since_revision = the owner's claim time.
msg::federation_sync to_wire(const route_advert& advert);
std::optional<route_advert> from_wire(const msg::federation_sync& m);

}  // namespace clasp::federation
