// The manager's peer table rows (JSON, as GET /federation/peers shows them) as
// peer_summary values.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "clasp_federation/node.hpp"

namespace clasp_federation::detail {

peer_summary peer_from_row(const nlohmann::json& row);

// Rows keyed the way the watcher compares them: router id, or the endpoint
// for an outbound link that has not learnt its peer's id yet.
std::string peer_key(const peer_summary& peer);

}  // namespace clasp_federation::detail
