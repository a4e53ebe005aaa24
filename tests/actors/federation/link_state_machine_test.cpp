// The one PeerState machine both ends of a federation link use.
#include <gtest/gtest.h>

#include "actors/federation/link_state_machine.hpp"

namespace clasp::federation {
namespace {

TEST(LinkStateMachine, OutboundWalksConnectingHandshakingSyncingActive) {
  auto fsm = link_state_machine::outbound();
  EXPECT_EQ(fsm.state(), peer_state::connecting);
  EXPECT_TRUE(fsm.on(link_event::transport_up));
  EXPECT_EQ(fsm.state(), peer_state::handshaking);
  EXPECT_TRUE(fsm.on(link_event::declared));
  EXPECT_EQ(fsm.state(), peer_state::syncing);
  EXPECT_TRUE(fsm.on(link_event::sync_done));
  EXPECT_EQ(fsm.state(), peer_state::active);
  EXPECT_TRUE(fsm.on(link_event::lost));
  EXPECT_EQ(fsm.state(), peer_state::disconnected);
}

TEST(LinkStateMachine, AnAcceptedPeerStartsAtHandshaking) {
  auto fsm = link_state_machine::inbound();
  EXPECT_EQ(fsm.state(), peer_state::handshaking);
  EXPECT_FALSE(fsm.on(link_event::transport_up)) << "its transport is already up";
  EXPECT_TRUE(fsm.on(link_event::declared));
  EXPECT_TRUE(fsm.on(link_event::sync_done));
  EXPECT_EQ(fsm.state(), peer_state::active);
}

TEST(LinkStateMachine, EventsOutOfOrderChangeNothing) {
  auto fsm = link_state_machine::outbound();
  EXPECT_FALSE(fsm.on(link_event::sync_done)) << "no sync before the handshake";
  EXPECT_FALSE(fsm.on(link_event::declared)) << "no declaration before the transport";
  EXPECT_EQ(fsm.state(), peer_state::connecting);

  fsm.on(link_event::transport_up);
  fsm.on(link_event::declared);
  fsm.on(link_event::sync_done);
  EXPECT_FALSE(fsm.on(link_event::declared)) << "a re-declaration keeps an Active link Active";
  EXPECT_FALSE(fsm.on(link_event::sync_done));
  EXPECT_EQ(fsm.state(), peer_state::active);

  fsm.on(link_event::lost);
  EXPECT_FALSE(fsm.on(link_event::sync_done)) << "a late sync answer does not revive a lost link";
  EXPECT_FALSE(fsm.on(link_event::lost));
  EXPECT_EQ(fsm.state(), peer_state::disconnected);
}

TEST(LinkStateMachine, ALinkLostWhileHandshakingIsDisconnected) {
  auto fsm = link_state_machine::inbound();
  EXPECT_TRUE(fsm.on(link_event::lost));
  EXPECT_EQ(fsm.state(), peer_state::disconnected);
}

}  // namespace
}  // namespace clasp::federation
