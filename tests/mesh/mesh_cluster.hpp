// A federation topology of real `clasp` routers on loopback for the mesh
// tests: ports chosen before start (so every router can list its peers, also
// in cycles), neighbour sets derived from the peer lists, faults (link kills,
// SIGKILL and restart) and the "settled" check on /federation/peers.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/federation/fed_test.hpp"

namespace clasp::meshtest {

using fedtest::json;
using test::millis;
using test::router_process;

// One router of a topology. A mesh node lists `peers` (indices into the
// topology); a leaf connects to the mesh node `hub` (then `peers` is unused).
struct node_spec {
  std::string id;
  std::string ns;  // owned namespace pattern, empty = owns nothing
  std::vector<std::size_t> peers;
  bool leaf = false;
  std::size_t hub = 0;
};

// Named topologies of n routers, each but the relays owning "/<id>/**".
std::vector<node_spec> line_topology(std::size_t n);
std::vector<node_spec> ring_topology(std::size_t n);
std::vector<node_spec> full_mesh_topology(std::size_t n);
// Two relay mesh nodes owning nothing, joined to each other, with leaves
// split between them (the first half of the leaves on the first hub).
std::vector<node_spec> two_hubs_topology(std::size_t leaves);

// A port that was free a moment ago (bound to 0 and closed again).
std::uint16_t pick_free_port();

class mesh_cluster {
 public:
  explicit mesh_cluster(std::vector<node_spec> nodes);
  ~mesh_cluster();

  std::size_t size() const { return nodes_.size(); }
  const node_spec& spec(std::size_t i) const { return nodes_[i]; }
  std::uint16_t port(std::size_t i) const { return ports_[i]; }
  bool running(std::size_t i) const { return alive_[i]; }
  // Indices of the routers `i` has a link with (it lists them or they list it).
  const std::set<std::size_t>& neighbours(std::size_t i) const { return neighbours_[i]; }
  // Routers that own a namespace.
  std::vector<std::size_t> owners() const;

  void kill9(std::size_t i);
  void restart(std::size_t i);
  // POST /admin/kill-links at router `i`; false if the router refused.
  bool kill_links(std::size_t i);

  // True when every running router lists exactly one Active entry for each
  // neighbour and none for anyone else; `why` says what is missing.
  bool settled(std::string* why) const;
  bool wait_settled(millis timeout, std::string* why) const;

 private:
  std::vector<std::string> args_for(std::size_t i) const;

  std::vector<node_spec> nodes_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::set<std::size_t>> neighbours_;
  std::vector<std::unique_ptr<router_process>> procs_;
  std::vector<bool> alive_;  // false between kill9 and restart
};

}  // namespace clasp::meshtest
