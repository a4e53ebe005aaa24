// The PeerState machine of one federation link, the same for both ends: an
// outbound link starts at Connecting, an accepted inbound peer at Handshaking
// (its transport is already up). The peer link actor carrying either end
// feeds it what happened and reports the state it says; the reconnect
// supervisor owns what comes after Disconnected (backoff, Failed, re-enable).
#pragma once

#include "actors/federation/peer_state.hpp"

namespace clasp::federation {

enum class link_event {
  transport_up,       // outbound: the WebSocket is open and our HELLO went out
  declared,           // the declaration exchange completed (our ACK sent or theirs received)
  sync_done,          // the first sync answer completed, or there was nothing to sync
  lost,               // connect failed, closed, refused, silent past the limit, or killed
};

class link_state_machine {
 public:
  static link_state_machine outbound() { return link_state_machine(peer_state::connecting); }
  static link_state_machine inbound() { return link_state_machine(peer_state::handshaking); }

  peer_state state() const { return state_; }

  // Applies `e`; returns true when the state changed (the caller reports it).
  // An event that does not apply in the current state changes nothing, so a
  // late sync_done never revives a lost link and a re-declaration of an
  // Active link does not send it back through Syncing.
  bool on(link_event e);

 private:
  explicit link_state_machine(peer_state start) : state_(start) {}
  peer_state state_;
};

}  // namespace clasp::federation
