// The fault suite's topology: a hub and two leaves (site-a owns /site-a/**,
// site-b owns /site-b/**) as real `clasp server` processes with --test-admin
// and a data directory each, so a restarted router keeps its ACKed writes.
// Faults: POST /admin/kill, SIGKILL and restart, SIGSTOP and SIGCONT.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/federation/http_post.hpp"
#include "tests/support/router_process.hpp"
#include "tests/support/router_state.hpp"

namespace clasp::faulttest {

using millis = std::chrono::milliseconds;

class fault_cluster {
 public:
  static constexpr std::size_t hub = 0, site_a = 1, site_b = 2;

  // Starts the three routers with their data under `data_root` and waits
  // (bounded) until every link is Active; throws if a router does not start.
  explicit fault_cluster(const std::string& data_root);
  ~fault_cluster();  // resumes a stopped router so it can be shut down

  std::size_t size() const { return routers_.size(); }
  const std::string& name(std::size_t i) const { return names_[i]; }
  // "/site-a/" for site-a; empty for the hub, which owns nothing.
  std::string owned_prefix(std::size_t i) const;
  std::uint16_t port(std::size_t i) const { return routers_[i]->port(); }
  test::router_process& router(std::size_t i) { return *routers_[i]; }

  fedtest::post_result kill_actor(std::size_t i, const std::string& kind);
  void kill9(std::size_t i) { routers_[i]->kill9(); }
  void restart(std::size_t i) { routers_[i]->restart(); }
  void stop(std::size_t i);  // SIGSTOP
  void resume(std::size_t i);  // SIGCONT

  // The hub lists both leaves Active with their namespace and each leaf
  // lists the hub Active with the other leaf's namespace.
  bool links_active(std::string* why) const;
  bool wait_links_active(millis timeout, std::string* why) const;
  // The hub's name for its current connection with leaf `i` (the leaf's
  // address and source port, new on every reconnect); empty if none.
  std::string hub_connection_of(std::size_t i) const;
  // True once the hub no longer lists leaf `i` as Active.
  bool wait_hub_dropped(std::size_t i, millis timeout, std::string* why) const;

  // Reads every router's state; false (and `why`) if one did not answer.
  bool read_states(std::vector<test::router_state>& out, std::string* why) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<test::router_process>> routers_;
  std::vector<bool> stopped_;
};

}  // namespace clasp::faulttest
