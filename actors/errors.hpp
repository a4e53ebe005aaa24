// The one error enum for what actors report to each other (carried in
// caf::error, category "clasp"); wire-level refusals stay CLASP error codes.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace clasp::actors {

enum class ec : std::uint8_t {
  /// Not an error (CAF reserves 0).
  none = 0,
  /// The link's connection closed or could not be opened.
  link_down,
  /// The peer sent nothing for longer than the liveness limit.
  peer_silent,
  /// The peer refused our HELLO or our DeclareNamespaces (it sent an ERROR).
  handshake_refused,
  /// A neighbour's declaration or route advertisement was refused here.
  declaration_refused,
  /// Another link to the same router is kept; this one closes without a retry.
  redundant_link,
  /// The namespace registry (federation manager) did not answer in time.
  registry_unavailable,
  /// Killed on purpose through POST /admin/kill (fault injection).
  killed_by_admin,
  /// An actor the router cannot run without ended; the process exits.
  critical_actor_down,
};

std::string to_string(ec code);

// A caf::error carrying `code` and a human-readable context.
caf::error make_error(ec code, std::string context = {});
// True if `err` carries `code` (whatever its context).
bool is_error(const caf::error& err, ec code);

}  // namespace clasp::actors

CAF_ERROR_CODE_ENUM(clasp::actors::ec, "clasp")
