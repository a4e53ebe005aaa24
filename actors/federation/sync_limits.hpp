// Count limits of a FEDERATION_SYNC message (FEDERATION.md guarantee 8),
// checked before any rights: an oversized message gets 400 whoever sent it.
#pragma once

#include <optional>
#include <string>

#include "messages/messages.hpp"

namespace clasp::federation {

// Why `m` breaks a count limit (more than 1,000 patterns or 10,000 revision
// entries, whatever its op), or nothing if it does not.
std::optional<std::string> sync_limit_violation(const msg::federation_sync& m);

}  // namespace clasp::federation
