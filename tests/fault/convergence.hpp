// The fault suite's convergence check, usable by any harness that can read
// each router's state: every router holds the same value and revision for
// every address, and every ACKed write that must survive is there (its
// address at that revision or a later one; at that revision, that value).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tests/fault/write_ledger.hpp"
#include "tests/support/router_state.hpp"

namespace clasp::faulttest {

struct named_state {
  std::string router;
  test::router_state state;
};

struct convergence_report {
  std::size_t divergent = 0;  // addresses on which the routers do not all agree
  std::size_t lost = 0;       // (router, address) pairs missing an ACKed write
  std::size_t foreign = 0;    // (router, address) pairs holding a value nobody sent there
  std::size_t excused = 0;    // ACKs inside a death's durability window (not required)
  std::size_t excused_lost = 0;  // of those, the ones some router does not hold (for the record)
  std::vector<std::string> examples;  // the first few problems, readable

  std::size_t mismatches() const { return divergent + lost + foreign; }
};

convergence_report check_convergence(const std::vector<named_state>& routers,
                                     const write_ledger& ledger);

// "divergent 1 (/site-a/k3: hub ... ), lost 0, ..." for failure messages.
std::string describe(const convergence_report& r);

}  // namespace clasp::faulttest
