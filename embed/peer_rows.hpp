// The manager's peer table rows (JSON, as GET /federation/peers shows them) as
// peer_summary values.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "clasp_federation/node.hpp"

namespace clasp_federation::detail {

peer_summary peer_from_row(const nlohmann::json& row);

// Rows keyed the way the watcher compares them: the endpoint for a link we
// dialled (its router id is only known after the handshake), else the router id.
std::string peer_key(const peer_summary& peer);

}  // namespace clasp_federation::detail
