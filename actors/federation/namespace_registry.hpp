// Who owns which namespace and how to reach each owner: this router's own
// namespaces, every neighbour's declaration, and (between our own routers)
// path-vector route advertisements, from which it picks one loop-free route
// per owner and builds routing_table snapshots. Hub, leaf and mesh node are
// the same machinery: a hub owns nothing and accepts neighbours, a leaf has
// one neighbour, a mesh node several. Plain C++: the federation manager actor
// owns the one instance.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <utility>

#include "actors/federation/routing_table.hpp"

namespace clasp::federation {

constexpr std::size_t max_federation_patterns = 1000;
constexpr std::size_t max_revision_entries = 10000;
// Longest path a route advertisement may carry (a longer one is refused).
constexpr std::size_t max_route_hops = 64;

struct declaration_error {
  std::uint16_t code = 0;  // CLASP error code (400 limits/syntax, 403 overlap)
  std::string reason;
};

// One route as advertised to a neighbour: `owner` owns `namespaces` and is
// reached along `path` (the advertising router first, the owner last). An
// empty `namespaces` withdraws the route. `claim_us` orders competing claims.
struct route_advert {
  std::string owner;
  std::vector<std::string> namespaces;
  std::vector<std::string> path;
  std::uint64_t claim_us = 0;
  bool operator==(const route_advert& o) const {
    return owner == o.owner && namespaces == o.namespaces && path == o.path && claim_us == o.claim_us;
  }
};

// What a neighbour says about itself when it declares.
struct neighbour_hello {
  // It speaks route advertisements (one of our routers): its declaration then
  // holds only its own namespaces, and routes to others come as adverts.
  bool route_capable = false;
  std::uint64_t claim_us = 0;  // when its namespaces were claimed (its start)
  // It numbers the events it sends and reads our numbers (route_wire.hpp).
  bool event_ids = false;
  // Outbound: it acknowledged our declaration but has not declared itself,
  // so whether it reads event ids is not known yet; it gets no events until
  // it declares (or is taken for another implementation's hub).
  bool provisional = false;
};

class namespace_registry {
 public:
  namespace_registry(std::string self_id, std::vector<std::string> own, std::uint64_t self_claim_us = 0);

  // A neighbour that connected to us declared its namespaces. A re-declaration
  // or a reconnect of the same router id replaces the earlier one.
  std::optional<declaration_error> declare_inbound(const std::string& router_id, link_id_t link,
                                                   const std::vector<std::string>& patterns,
                                                   neighbour_hello hello = {});

  // The router we connected to declared what it owns (one of ours) or what is
  // reachable through it (another implementation's hub).
  void declare_upstream(const std::string& router_id, link_id_t link,
                        const std::vector<std::string>& patterns, neighbour_hello hello = {});

  // An outbound link completed its handshake: it is interested in what we own.
  void attach_upstream(const std::string& router_id, link_id_t link);

  // A peer known from an earlier run (persistence): its namespaces are
  // remembered but unreachable until it connects again.
  void remember(const std::string& router_id, const std::vector<std::string>& patterns);

  // This router connects out to peers (a leaf or a mesh node): until the
  // first neighbour declares (or persistence remembers one), an address we do
  // not own may belong to a router we have not heard of yet, so the routing
  // says "ownership unknown" and writes there are refused, not kept locally.
  void await_first_neighbour() { awaiting_first_neighbour_ = peers_.empty(); }
  // Stops waiting (no neighbour can be reached for now); true if it was waiting.
  bool stop_awaiting() { return std::exchange(awaiting_first_neighbour_, false); }

  // A route advertisement from a declared, route-capable neighbour. Returns
  // an error for an advertisement over the limits.
  std::optional<declaration_error> advertise(link_id_t link, const route_advert& advert);

  // A link went away; its namespaces stay known (writes to them get 501).
  void link_closed(link_id_t link);

  // What we declare to a neighbour: our own namespaces to one of ours (routes
  // follow as adverts), every other reachable namespace to anyone else.
  std::vector<std::string> declaration_for(link_id_t link) const;

  // Route advertisements `link` has not been sent yet (new, changed or
  // withdrawn routes), recorded as sent. Empty for neighbours that do not
  // speak route advertisements.
  std::vector<route_advert> take_advert_updates(link_id_t link);

  // Namespaces whose owner is reached through `link` (what to sync from it).
  std::vector<std::string> upstream_patterns(link_id_t link) const;

  // Declared links, and the subset that connected to us.
  std::vector<link_id_t> links() const;
  std::vector<link_id_t> inbound_links() const;
  bool route_capable(link_id_t link) const;
  // The router id at the other end of a declared link ("" if unknown).
  std::string router_of(link_id_t link) const;
  // Another declared link to the same router as `link`, if any (one standing
  // down does not count).
  std::optional<link_id_t> other_link_to(const std::string& router_id, link_id_t link) const;
  // Of two links to one router, the one both ends keep: the one opened by the
  // router with the smaller id.
  bool keeps(link_id_t link) const;

  // A redundant link stands down: it leaves the routes and takes nothing from
  // us any more, while what is in flight on it still arrives (its owner closes
  // it after a grace period). Until the kept link to the same router has
  // heard that router's own route advertisements, what the standing-down link
  // heard stands for them, so no route and no replica flow lapses meanwhile.
  void stand_down(link_id_t link);
  // The kept link went away first: a link still standing down to that router
  // takes over again. Returns the links revived.
  std::vector<link_id_t> revive_links_to(const std::string& router_id);
  bool standing_down(link_id_t link) const;

  // Owners whose claims lost to an older overlapping claim (router id -> why).
  const std::map<std::string, std::string>& refused_owners() const { return refused_; }

  routing_ptr build() const;

  const std::string& self_id() const { return self_id_; }
  const std::vector<std::string>& own() const { return own_; }

  struct peer_entry {
    std::string router_id;
    std::vector<std::string> namespaces;
    link_id_t link = 0;  // 0 = not connected
    bool inbound = true;
  };
  // Every owner we know of, connected or not, by router id (its own namespaces).
  const std::map<std::string, peer_entry>& peers() const { return peers_; }

 private:
  struct neighbour {
    std::string router_id;
    bool inbound = true;
    bool capable = false;
    bool event_ids = false;
    bool provisional = false;
    std::vector<std::string> declared;
    std::map<std::string, route_advert> adverts;  // by owner
    bool standing_down = false;  // redundant: see stand_down()
  };
  struct route {
    std::string owner;
    std::vector<std::string> namespaces;
    std::vector<std::string> path;  // next hop first, owner last
    link_id_t via = 0;
    std::uint64_t claim_us = 0;
  };

  bool awaiting_first_neighbour_ = false;

  void recompute();
  // Best routes from the neighbours' declarations and adverts.
  std::map<std::string, route> candidate_routes() const;
  bool overlaps_reachable_owner(const std::string& router_id, link_id_t link,
                                const std::vector<std::string>& patterns, declaration_error& err) const;
  // True if the neighbour on `link` routes to `owner` through us.
  bool is_child(link_id_t link, const std::string& owner) const;
  // The neighbour's advertisement for `owner` as heard on `link`, or on a
  // link to the same router that stands down (see stand_down()).
  const route_advert* advert_for(link_id_t link, const std::string& owner) const;
  // A standing-down link to the same router as the (kept) neighbour on `link`.
  const neighbour* standing_down_sibling(link_id_t link) const;

  std::string self_id_;
  std::vector<std::string> own_;
  std::uint64_t self_claim_us_ = 0;
  std::map<link_id_t, neighbour> neighbours_;  // declared links
  std::map<std::string, peer_entry> peers_;    // owners (remembered ones included)
  std::map<std::string, std::uint64_t> claims_;  // oldest claim seen per owner id
  std::map<std::string, route> routes_;          // accepted best route per reachable owner
  std::map<std::string, std::string> refused_;
  std::map<link_id_t, std::map<std::string, route_advert>> sent_;  // adverts last sent per link
};

}  // namespace clasp::federation
