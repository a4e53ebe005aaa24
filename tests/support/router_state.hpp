// What one router holds, read at the wire: every param with its value and
// revision, from the SNAPSHOT of a SUBSCRIBE "/**". Used by the convergence
// checks of the mesh and fault suites.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "messages/messages.hpp"

namespace clasp::test {

// Address -> (value, revision) as one router holds it.
using router_state = std::map<std::string, std::pair<value, revision_t>>;

// Everything router `port` holds; false if the router did not answer (the
// connection, HELLO or the snapshot failed or timed out).
bool read_state(std::uint16_t port, router_state& out);

}  // namespace clasp::test
