// The PeerState machine's states (FEDERATION.md "Handshake"), shared by both
// ends of a link, the supervisor, the manager's peer table and the HTTP views.
#pragma once

#include <optional>
#include <string_view>

namespace clasp::federation {

enum class peer_state {
  connecting,    // transport connection in progress (outbound only)
  handshaking,   // connected: HELLO/WELCOME, then DeclareNamespaces until its ACK
  syncing,       // declared; the first sync answer has not completed yet
  active,        // fully operational, forwarding both ways
  disconnected,  // lost; the supervisor reconnects with backoff (outbound)
  failed,        // gave up after max_reconnect_attempts; stays until re-enabled
};

// The seed's spelling: "Connecting", "Handshaking", ... (what /federation/peers shows).
const char* to_string(peer_state s);
std::optional<peer_state> peer_state_from_string(std::string_view s);

// A peer counts for peer_count() unless it is down.
constexpr bool is_up(peer_state s) {
  return s != peer_state::disconnected && s != peer_state::failed;
}

}  // namespace clasp::federation
