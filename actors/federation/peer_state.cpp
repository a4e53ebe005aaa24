// Names of the PeerState values.
#include "actors/federation/peer_state.hpp"

namespace clasp::federation {

namespace {
constexpr peer_state all_states[] = {peer_state::connecting, peer_state::handshaking,
                                     peer_state::syncing,    peer_state::active,
                                     peer_state::disconnected, peer_state::failed};
}

const char* to_string(peer_state s) {
  switch (s) {
    case peer_state::connecting: return "Connecting";
    case peer_state::handshaking: return "Handshaking";
    case peer_state::syncing: return "Syncing";
    case peer_state::active: return "Active";
    case peer_state::disconnected: return "Disconnected";
    case peer_state::failed: return "Failed";
  }
  return "Connecting";
}

std::optional<peer_state> peer_state_from_string(std::string_view s) {
  for (auto state : all_states)
    if (s == to_string(state)) return state;
  return std::nullopt;
}

}  // namespace clasp::federation
