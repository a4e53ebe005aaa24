// Owned namespaces of this router and of every federation peer it has heard of;
// validates declarations (limits, overlap) and builds routing_table snapshots.
// Plain C++: the federation manager actor owns the one instance.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/federation/routing_table.hpp"

namespace clasp::federation {

constexpr std::size_t max_federation_patterns = 1000;
constexpr std::size_t max_revision_entries = 10000;

struct declaration_error {
  std::uint16_t code = 0;  // CLASP error code (400 limits/syntax, 403 overlap)
  std::string reason;
};

class namespace_registry {
 public:
  namespace_registry(std::string self_id, std::vector<std::string> own);

  // A peer connected to us declared its namespaces (hub side). A re-declaration
  // or a reconnect of the same router id replaces the earlier one.
  std::optional<declaration_error> declare_inbound(const std::string& router_id, link_id_t link,
                                                   const std::vector<std::string>& patterns);

  // A peer known from an earlier run (persistence): its namespaces are
  // remembered but unreachable until it connects again.
  void remember(const std::string& router_id, const std::vector<std::string>& patterns);

  // The router we connected to told us what is reachable through it (leaf side).
  void declare_upstream(const std::string& router_id, link_id_t link,
                        const std::vector<std::string>& patterns);

  // An outbound link completed its handshake: it is interested in what we own.
  void attach_upstream(const std::string& router_id, link_id_t link);

  // A link went away; its namespaces stay known (writes to them get 501).
  void link_closed(link_id_t link);

  // What we declare to an inbound peer: every other known router's namespaces.
  std::vector<std::string> declaration_for(link_id_t link) const;

  // Inbound links (for re-sending declarations when the set changes).
  std::vector<link_id_t> inbound_links() const;

  routing_ptr build() const;

  const std::string& self_id() const { return self_id_; }
  const std::vector<std::string>& own() const { return own_; }

  struct peer_entry {
    std::string router_id;
    std::vector<std::string> namespaces;
    link_id_t link = 0;  // 0 = not connected
    bool inbound = true;
  };
  const std::map<std::string, peer_entry>& peers() const { return peers_; }

 private:
  std::string self_id_;
  std::vector<std::string> own_;
  std::map<std::string, peer_entry> peers_;  // by router id (inbound peers and upstream-declared owners)
  // Leaf side: the upstream link and the namespaces it declared, by upstream router id.
  struct upstream_entry {
    link_id_t link = 0;
    std::vector<std::string> namespaces;
  };
  std::map<std::string, upstream_entry> upstream_;
};

}  // namespace clasp::federation
