#include "actors/federation/link_state_machine.hpp"

namespace clasp::federation {

bool link_state_machine::on(link_event e) {
  const peer_state before = state_;
  switch (e) {
    case link_event::transport_up:
      if (state_ == peer_state::connecting) state_ = peer_state::handshaking;
      break;
    case link_event::declared:
      if (state_ == peer_state::handshaking) state_ = peer_state::syncing;
      break;
    case link_event::sync_done:
      if (state_ == peer_state::syncing) state_ = peer_state::active;
      break;
    case link_event::lost:
      if (state_ != peer_state::failed) state_ = peer_state::disconnected;
      break;
  }
  return state_ != before;
}

}  // namespace clasp::federation
