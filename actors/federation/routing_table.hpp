// An immutable picture of who owns which namespace and what each federation
// link wants to receive. The namespace registry builds it; the state store
// reads it on every SET/PUBLISH to decide between apply, forward and refuse.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clasp::federation {

// A link is identified by the session id of the connection that carries it.
using link_id_t = std::uint64_t;

struct remote_namespace {
  std::string pattern;
  std::string owner;   // router id that declared it
  link_id_t via = 0;   // the link that leads towards the owner; 0 = none connected
};

struct link_view {
  link_id_t id = 0;
  std::string router_id;  // the router at the other end of the link
  // Addresses this link wants: its own namespaces and those it leads to
  // (write requests, events) and the namespaces it replicates through us.
  std::vector<std::string> interest;
  // The part of `interest` whose updates it takes from us: namespaces whose
  // owner it reaches through this router (replica SETs and removals).
  std::vector<std::string> replicas;
  // What it may RequestSync from us (covers() checks against these).
  std::vector<std::string> syncable;
  // One of our routers (speaks route advertisements): a QoS-fire SET with a
  // revision from it is always a replica update, whichever link it came by.
  bool route_capable = false;
  // It reads and sends event ids on PUBLISH (msg::publish::event).
  bool event_ids = false;
  // Not declared yet (neighbour_hello::provisional): it takes no events.
  bool provisional = false;
  // Redundant, about to close (namespace_registry::stand_down): it takes
  // nothing from us, not even what it asked a sync for; what it sends is applied.
  bool standing_down = false;
};

enum class owner_kind { none, self, remote };

struct owner_lookup {
  owner_kind kind = owner_kind::none;
  const remote_namespace* ns = nullptr;  // set when kind == remote
};

struct routing_table {
  std::string self_id;
  std::vector<std::string> own;          // namespaces this router is authoritative for
  std::vector<remote_namespace> remote;  // namespaces owned elsewhere
  std::vector<link_view> links;          // links that completed their declaration
  // No neighbour has declared since this router started, though it connects
  // out to some: who owns what is not known yet (see namespace_registry).
  bool ownership_unknown = false;

  owner_lookup owner_of(std::string_view address) const;
  const link_view* link(link_id_t id) const;
  // True if `id`'s interest covers the address.
  static bool interested(const link_view& link, std::string_view address);
  // True if the link takes replica updates of the address from us.
  static bool replicates(const link_view& link, std::string_view address);
  // True if `pattern` is covered by one of the link's syncable patterns.
  static bool covers(const link_view& link, std::string_view pattern);
};

using routing_ptr = std::shared_ptr<const routing_table>;

}  // namespace clasp::federation
