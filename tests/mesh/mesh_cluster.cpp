// Starting a topology with every port known up front, and the settled check.
#include "tests/mesh/mesh_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <thread>

#include "tests/federation/http_post.hpp"

namespace clasp::meshtest {

namespace {

node_spec owner_node(std::size_t i) {
  node_spec n;
  n.id = "site-" + std::to_string(i);
  n.ns = "/" + n.id + "/**";
  return n;
}

// Pause between two polls of /federation/peers (not a synchronisation by itself).
constexpr millis poll_interval{50};

}  // namespace

std::vector<node_spec> line_topology(std::size_t n) {
  std::vector<node_spec> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(owner_node(i));
    if (i > 0) out.back().peers = {i - 1};
  }
  return out;
}

std::vector<node_spec> ring_topology(std::size_t n) {
  auto out = line_topology(n);
  out.front().peers = {n - 1};
  return out;
}

std::vector<node_spec> full_mesh_topology(std::size_t n) {
  std::vector<node_spec> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(owner_node(i));
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) out.back().peers.push_back(j);
  }
  return out;
}

std::vector<node_spec> two_hubs_topology(std::size_t leaves) {
  std::vector<node_spec> out(2);
  out[0].id = "hub-0";
  out[1].id = "hub-1";
  out[1].peers = {0};
  for (std::size_t i = 0; i < leaves; ++i) {
    auto leaf = owner_node(i);
    leaf.leaf = true;
    leaf.hub = i < (leaves + 1) / 2 ? 0 : 1;
    out.push_back(leaf);
  }
  return out;
}

std::uint16_t pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

mesh_cluster::mesh_cluster(std::vector<node_spec> nodes)
    : nodes_(std::move(nodes)), neighbours_(nodes_.size()), alive_(nodes_.size(), false) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    ports_.push_back(pick_free_port());
    const auto& n = nodes_[i];
    std::vector<std::size_t> links = n.leaf ? std::vector<std::size_t>{n.hub} : n.peers;
    for (auto j : links) {
      neighbours_[i].insert(j);
      neighbours_[j].insert(i);
    }
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    procs_.push_back(std::make_unique<router_process>(args_for(i)));
    alive_[i] = true;
  }
}

mesh_cluster::~mesh_cluster() {
  for (std::size_t i = 0; i < procs_.size(); ++i)
    if (alive_[i]) procs_[i]->terminate();
}

std::vector<std::string> mesh_cluster::args_for(std::size_t i) const {
  const auto& n = nodes_[i];
  // Short reconnect and anti-entropy periods keep healing within the test's time.
  std::vector<std::string> a{"--port",
                             std::to_string(ports_[i]),
                             "--no-persistence",
                             "--test-admin",
                             "--federation-id",
                             n.id,
                             "--federation-reconnect-delay-ms",
                             "200",
                             "--federation-max-reconnect-delay-ms",
                             "1000",
                             "--federation-sync-interval-ms",
                             "1000"};
  if (!n.ns.empty()) a.insert(a.end(), {"--federation-namespaces", n.ns});
  // CLASP_MESH_LOG_LEVEL=debug shows the routers' federation traffic in failure output.
  if (const char* level = std::getenv("CLASP_MESH_LOG_LEVEL"))
    a.insert(a.end(), {"--log-level", level});
  if (n.leaf) {
    a.insert(a.end(), {"--federation-mode", "leaf", "--federation-hub",
                       "ws://127.0.0.1:" + std::to_string(ports_[n.hub])});
  } else {
    a.insert(a.end(), {"--federation-mode", "mesh"});
    std::string urls;
    for (auto j : n.peers)
      urls +=
          (urls.empty() ? "" : ",") + std::string("ws://127.0.0.1:") + std::to_string(ports_[j]);
    if (!urls.empty()) a.insert(a.end(), {"--federation-peers", urls});
  }
  return router_process::server_args(a);
}

std::vector<std::size_t> mesh_cluster::owners() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (!nodes_[i].ns.empty()) out.push_back(i);
  return out;
}

void mesh_cluster::kill9(std::size_t i) {
  procs_[i]->kill9();
  alive_[i] = false;
}

void mesh_cluster::restart(std::size_t i) {
  procs_[i]->restart();
  alive_[i] = true;
}

bool mesh_cluster::kill_links(std::size_t i) {
  auto r = fedtest::http_post(ports_[i], "/admin/kill-links");
  return r.status == 200;
}

bool mesh_cluster::settled(std::string* why) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!alive_[i]) continue;
    auto peers = fedtest::peers_of(ports_[i]);
    if (!peers.is_array()) {
      if (why) *why = nodes_[i].id + ": no /federation/peers answer";
      return false;
    }
    // Settled means nothing is still pending: an outbound link still
    // retrying next to an Active inbound one is not yet resolved.
    std::map<std::string, int> active, other;
    for (const auto& p : peers)
      if (p.is_object())
        ++(p.value("state", std::string{}) == "Active"
               ? active
               : other)[p.value("router_id", std::string{})];
    std::set<std::string> expected;
    for (auto j : neighbours_[i]) {
      const auto& id = nodes_[j].id;
      expected.insert(id);
      if (!alive_[j]) continue;  // its entry may be in any state but Active
      if (active[id] != 1 || other[id] != 0) {
        if (why)
          *why = nodes_[i].id + " lists " + std::to_string(active[id]) + " Active and " +
                 std::to_string(other[id]) + " other entries for " + id + ": " + peers.dump();
        return false;
      }
    }
    for (const auto& p : peers) {
      if (expected.count(p.value("router_id", std::string{}))) continue;
      // An outbound link that never reached its peer is named by its URL.
      const auto endpoint = p.value("endpoint", std::string{});
      bool to_dead_neighbour = false;
      for (auto j : neighbours_[i])
        if (!alive_[j] && endpoint.find(":" + std::to_string(ports_[j])) != std::string::npos)
          to_dead_neighbour = true;
      if (!to_dead_neighbour) {
        if (why)
          *why =
              nodes_[i].id + " lists an entry for a non-neighbour or a pending link: " + p.dump();
        return false;
      }
    }
  }
  return true;
}

bool mesh_cluster::wait_settled(millis timeout, std::string* why) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (settled(why)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

}  // namespace clasp::meshtest
