// Sync bookkeeping between our routers rides in the revision entries of
// FEDERATION_SYNC messages (unused there otherwise); the keys are not
// addresses, so nothing else can mistake them. Peers that do not send them
// get the rules for an unknown incarnation.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "messages/messages.hpp"

namespace clasp::router::sync_fields {

// RequestSync: the watermark's incarnation; SyncComplete and sync marks: the sender's.
constexpr const char* incarnation_key = "incarnation";
// SyncComplete: a complete full answer (the requester drops what it lacks).
constexpr const char* complete_key = "complete";

inline std::optional<std::uint64_t> get(const msg::federation_sync& m, std::string_view key) {
  for (const auto& [name, v] : m.revisions)
    if (name == key) return v;
  return std::nullopt;
}

}  // namespace clasp::router::sync_fields
