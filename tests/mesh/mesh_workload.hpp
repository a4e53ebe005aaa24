// Random writes at every router of a mesh_cluster (into its own namespace and,
// as write-to-owner, into the others'), live subscribers that count duplicate
// and out-of-order revisions, and the final state comparison across routers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/mesh/mesh_cluster.hpp"
#include "tests/support/router_state.hpp"

namespace clasp::meshtest {

struct soak_counts {
  std::size_t writes_acked = 0;
  std::size_t writes_refused = 0;  // 501 (no route) or 502 (owner timed out): allowed during faults
  std::size_t writes_failed = 0;   // any other answer, or none
  std::size_t faults = 0;
  std::size_t deliveries = 0;   // SETs seen by the subscribers
  std::size_t duplicates = 0;   // an (address, revision) a subscriber had already seen
  std::size_t regressions = 0;  // a revision older than one the subscriber had already seen
  std::size_t mismatches = 0;   // (router, address) pairs that differ from the owner after healing
  std::size_t revision_losses = 0;  // addresses whose final revision is below an acknowledged one
  // The same, for a write acknowledged by an owner that was SIGKILLed before
  // it had been replicated (memory-only routers cannot keep those).
  std::size_t crash_losses = 0;
  std::string first_revision_loss;  // the first of `revision_losses`, for the failure message
};
std::string to_string(const soak_counts& c);

using test::read_state;
using test::router_state;

class mesh_workload {
 public:
  mesh_workload(mesh_cluster& cluster, std::uint64_t seed, std::size_t keys_per_namespace = 8);

  // Clients at router `i` (a writer and a "/**" subscriber), after a (re)start.
  void connect(std::size_t i);
  // Forgets router `i`'s clients (before it is killed); its subscriber's
  // counts so far are kept. Writes it acknowledged as owner so far may be
  // lost with it.
  void disconnect(std::size_t i);

  // `n` writes, each at a random running router into a random owner's namespace.
  void write(std::size_t n);
  // Reads what the subscribers received so far, for up to `window`.
  void drain(millis window = millis(1));

  // True when every running router holds exactly the owners' state;
  // `why` names the first difference, `mismatches` counts them.
  bool converged(std::string* why, std::size_t* mismatches);
  bool wait_converged(millis timeout, std::string* why);

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  soak_counts& counts() { return counts_; }

 private:
  struct subscriber {
    std::unique_ptr<test::wire_client> client;
    std::set<std::pair<std::string, revision_t>> seen;
    std::map<std::string, revision_t> newest;
  };
  // Counts what `s` received within `window`.
  void take(subscriber& s, millis window);

  mesh_cluster& cluster_;
  std::mt19937_64 rng_;
  std::size_t keys_;
  std::int64_t next_value_ = 1;
  std::vector<std::unique_ptr<test::wire_client>> writers_;
  std::vector<subscriber> subscribers_;
  std::map<std::string, revision_t> acked_;  // newest acknowledged revision per address
  std::set<std::string> crash_exposed_;      // acknowledged last before their owner was killed
  soak_counts counts_;
};

}  // namespace clasp::meshtest
