// The outbound link's PeerState machine in virtual time: Connecting ->
// Handshaking -> Syncing -> Active -> Disconnected, each refusal on the way,
// and its timers (the unnamed-hub fallback, heartbeats, the registry's answer
// timeout). The connection is scripted by the test; nothing touches a socket.
#include <gtest/gtest.h>

#include "actors/errors.hpp"
#include "actors/federation/peer_link_actor.hpp"
#include "tests/actors/recording_actors.hpp"
#include "tests/actors/virtual_time.hpp"

namespace clasp::actors {
namespace {

using federation::peer_state;
using namespace std::chrono_literals;
using states = std::vector<peer_state>;

// Consecutive repeats folded: a state reported again with new details is
// still one step of the machine.
states steps(const states& all) {
  states out;
  for (auto s : all)
    if (out.empty() || out.back() != s) out.push_back(s);
  return out;
}

class PeerLink : public clasp::testing::virtual_time {
 protected:
  PeerLink() {
    auto cfg = std::make_shared<node_config>();
    cfg->federation.mode = federation_mode::leaf;
    cfg->federation.router_id = "leaf-a";
    cfg->federation.owned_namespaces = {"/site-a/**"};
    cfg->federation.hub_endpoints = {"ws://hub.test:7330"};
    deps_.config = cfg;
    deps_.store = keep(clasp::testing::spawn_recording_store(sys(), store_));
    deps_.manager = keep(clasp::testing::spawn_recording_peer<federation_manager_actor>(sys(), manager_));
    deps_.supervisor = keep(clasp::testing::spawn_recording_peer<reconnect_supervisor_actor>(sys(), supervisor_));
    deps_.connector = connector_.function();
  }

  void start() {
    link_ = keep(spawn_peer_link(sys(), deps_, "ws://hub.test:7330"));
    exit_ = watch(link_);
    run();
  }

  // Connect, then the hub's WELCOME, then its ACK and DeclareNamespaces in one read.
  void handshake() {
    start();
    connector_.connect(0, conn_);
    run();
    conn_->read({clasp::testing::welcome_from("S7")});
    run();
    conn_->read({msg::ack{}, clasp::testing::declaration_from("hub", {})});
    run();
  }

  states steps() const { return PeerLink::steps_of(supervisor_->states()); }
  static states steps_of(const states& s) { return clasp::actors::steps(s); }

  std::shared_ptr<clasp::testing::store_log> store_ = std::make_shared<clasp::testing::store_log>();
  std::shared_ptr<clasp::testing::peer_log> manager_ = std::make_shared<clasp::testing::peer_log>();
  std::shared_ptr<clasp::testing::peer_log> supervisor_ = std::make_shared<clasp::testing::peer_log>();
  clasp::testing::scripted_connector connector_;
  std::shared_ptr<clasp::testing::scripted_connection> conn_ =
      std::make_shared<clasp::testing::scripted_connection>();
  peer_link_deps deps_;
  peer_link_actor link_;
  std::shared_ptr<exit_watch> exit_;
};

TEST_F(PeerLink, ConnectsThroughHandshakeAndSyncToActiveThenDisconnects) {
  start();
  ASSERT_EQ(connector_.attempts.size(), 1u);
  EXPECT_EQ(connector_.attempts[0].url, "ws://hub.test:7330");
  EXPECT_EQ(steps(), (states{peer_state::connecting}));

  connector_.connect(0, conn_);
  run();
  EXPECT_EQ(supervisor_->last_state(), peer_state::handshaking);
  auto hellos = conn_->all<msg::hello>();
  ASSERT_EQ(hellos.size(), 1u);
  EXPECT_NE(hellos[0].features & feature::federation, 0) << "the HELLO asks for a federation link";
  EXPECT_TRUE(conn_->all<msg::federation_sync>().empty()) << "no declaration before WELCOME";

  conn_->read({clasp::testing::welcome_from("S7")});
  run();
  EXPECT_EQ(supervisor_->last_state(), peer_state::handshaking) << "until our declaration's ACK";
  EXPECT_EQ(store_->count("attach:upstream"), 1u);
  EXPECT_EQ(store_->count("mark:S7"), 1u) << "provisionally known by its session id";
  auto declared = conn_->all<msg::federation_sync>();
  ASSERT_EQ(declared.size(), 1u);
  EXPECT_EQ(declared[0].op, federation_op::declare_namespaces);
  EXPECT_EQ(declared[0].origin.value_or(""), "leaf-a");
  EXPECT_EQ(declared[0].patterns, std::vector<std::string>{"/site-a/**"});

  conn_->read({msg::ack{}, clasp::testing::declaration_from("hub", {})});
  run();
  EXPECT_EQ(supervisor_->last_state(), peer_state::syncing);
  ASSERT_EQ(manager_->declared.size(), 2u) << "on the ACK, then on the hub's own declaration";
  EXPECT_FALSE(manager_->declared[0].named) << "the ACK came before the hub named itself";
  EXPECT_TRUE(manager_->declared[1].named);
  EXPECT_EQ(manager_->declared[1].router_id, "hub");
  EXPECT_EQ(supervisor_->statuses.back().router_id, "hub");
  EXPECT_EQ(store_->count("direct"), 1u) << "declared: later reads go straight to the store";

  tell(link_, sync_done{});
  run();
  EXPECT_EQ(supervisor_->last_state(), peer_state::active);
  EXPECT_FALSE(exit_->down);

  conn_->close_from_peer("peer went away");
  run();
  EXPECT_EQ(steps(), (states{peer_state::connecting, peer_state::handshaking, peer_state::syncing,
                             peer_state::active, peer_state::disconnected}));
  EXPECT_NE(supervisor_->statuses.back().last_error.find("peer went away"), std::string::npos);
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(is_error(exit_->reason, ec::link_down)) << sys().render(exit_->reason);
  EXPECT_EQ(store_->events.back().rfind("detach:", 0), 0u) << "the store forgets the session";
}

TEST_F(PeerLink, RefusedConnectionIsDisconnectedWithTheReason) {
  start();
  connector_.refuse(0, "connection refused");
  run();
  EXPECT_EQ(steps(), (states{peer_state::connecting, peer_state::disconnected}));
  EXPECT_EQ(supervisor_->statuses.back().last_error, "connection refused");
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(is_error(exit_->reason, ec::link_down));
  EXPECT_EQ(store_->count("attach:upstream"), 0u);
}

TEST_F(PeerLink, HubRefusingTheHelloEndsTheLinkAsRefused) {
  start();
  connector_.connect(0, conn_);
  run();
  conn_->read({clasp::testing::error_with(401, "federation token rejected")});
  run();
  EXPECT_EQ(steps(), (states{peer_state::connecting, peer_state::handshaking, peer_state::disconnected}));
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(is_error(exit_->reason, ec::handshake_refused)) << sys().render(exit_->reason);
  EXPECT_NE(supervisor_->statuses.back().last_error.find("401"), std::string::npos);
  EXPECT_TRUE(conn_->closed()) << "the socket is aborted";
}

TEST_F(PeerLink, HubRefusingOurNamespacesEndsTheLinkAsRefused) {
  start();
  connector_.connect(0, conn_);
  run();
  conn_->read({clasp::testing::welcome_from("S7")});
  run();
  conn_->read({clasp::testing::error_with(403, "namespace '/site-a/**' overlaps")});
  run();
  EXPECT_EQ(steps(), (states{peer_state::connecting, peer_state::handshaking, peer_state::disconnected}));
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(is_error(exit_->reason, ec::handshake_refused));
  EXPECT_TRUE(manager_->declared.empty()) << "a refused link never reaches the registry";
}

TEST_F(PeerLink, HubThatNeverNamesItselfIsDeclaredUnderItsSessionAfterOneSecond) {
  start();
  connector_.connect(0, conn_);
  run();
  conn_->read({clasp::testing::welcome_from("S7")});
  run();
  conn_->read({msg::ack{}});  // another implementation: no DeclareNamespaces of its own
  run();
  ASSERT_EQ(manager_->declared.size(), 1u);
  EXPECT_FALSE(manager_->declared[0].named);
  advance(999ms);
  EXPECT_EQ(manager_->declared.size(), 1u) << "still waiting for the hub to name itself";
  advance(1ms);
  ASSERT_EQ(manager_->declared.size(), 2u);
  EXPECT_TRUE(manager_->declared[1].named);
  EXPECT_EQ(manager_->declared[1].router_id, "S7") << "its session id stands in for the router id";
}

TEST_F(PeerLink, HubThatNamesItselfGetsNoFallbackDeclaration) {
  handshake();
  ASSERT_EQ(manager_->declared.size(), 2u);
  advance(5s);
  EXPECT_EQ(manager_->declared.size(), 2u);
}

TEST_F(PeerLink, HeartbeatPingsEveryTwoSecondsOnceConnected) {
  handshake();
  const auto before = conn_->all<msg::ping>().size();
  EXPECT_EQ(before, 0u);
  advance(1999ms);
  EXPECT_EQ(conn_->all<msg::ping>().size(), 0u);
  advance(1ms);
  EXPECT_EQ(conn_->all<msg::ping>().size(), 1u);
  advance(6s);
  EXPECT_EQ(conn_->all<msg::ping>().size(), 4u);
}

TEST_F(PeerLink, SilentHubIsPresumedDeadAtTheFirstHeartbeatPastTenSeconds) {
  handshake();
  tell(link_, sync_done{});
  run();
  advance(10s);  // heartbeats at 2 .. 10 s: silent 10 s is not yet past the limit
  EXPECT_FALSE(exit_->down);
  EXPECT_EQ(supervisor_->last_state(), peer_state::active);
  advance(2s);
  ASSERT_TRUE(exit_->down) << "the 12 s heartbeat finds the hub silent";
  EXPECT_TRUE(is_error(exit_->reason, ec::peer_silent)) << sys().render(exit_->reason);
  EXPECT_EQ(supervisor_->last_state(), peer_state::disconnected);
  EXPECT_TRUE(conn_->closed());
}

TEST_F(PeerLink, SilentRegistryEndsTheLinkAfterTenSeconds) {
  manager_->answer_declarations = false;
  start();
  connector_.connect(0, conn_);
  run();
  conn_->read({clasp::testing::welcome_from("S7")});
  run();
  conn_->read({msg::ack{}, clasp::testing::declaration_from("hub", {})});
  run();
  EXPECT_EQ(supervisor_->last_state(), peer_state::syncing);
  advance(9999ms);
  EXPECT_FALSE(exit_->down) << "the registry has ten seconds to answer";
  advance(1ms);
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(is_error(exit_->reason, ec::registry_unavailable)) << sys().render(exit_->reason);
  EXPECT_EQ(supervisor_->last_state(), peer_state::disconnected);
}

TEST_F(PeerLink, RouteAdvertisementsFromTheRegistryGoOutOnTheLink) {
  handshake();
  const auto before = conn_->all<msg::federation_sync>().size();
  link_routes r;
  r.adverts.push_back({"leaf-b", {"/site-b/**"}, {"leaf-a", "hub", "leaf-b"}, 42});
  tell(link_, std::move(r));
  run();
  auto sent = conn_->all<msg::federation_sync>();
  ASSERT_EQ(sent.size(), before + 1);
  EXPECT_EQ(sent.back().op, federation_op::route_advert);
  EXPECT_EQ(sent.back().origin.value_or(""), "leaf-b");
}

// A redundant link keeps reading for a grace period (what the peer sent
// before it stopped routing over it still arrives), then closes cleanly and
// ends as redundant, so its supervisor stands by instead of reconnecting.
TEST_F(PeerLink, StandingDownClosesCleanlyAfterTheGracePeriodAndEndsAsRedundant) {
  handshake();
  tell(link_, stand_down_atom_v, true);
  run();
  advance(900ms);
  EXPECT_FALSE(conn_->closed()) << "still open during the grace period";
  advance(200ms);
  ASSERT_TRUE(conn_->closed());
  EXPECT_EQ(conn_->close_code(), 1000) << "a normal close: queued frames go out first";
  EXPECT_FALSE(exit_->down) << "until the close completes";
  conn_->close_from_peer("peer closed (1000)");
  run();
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(is_error(exit_->reason, ec::redundant_link)) << sys().render(exit_->reason);
}

TEST_F(PeerLink, ARevokedStandDownKeepsTheLinkOpen) {
  handshake();
  tell(link_, stand_down_atom_v, true);
  run();
  advance(500ms);
  tell(link_, stand_down_atom_v, false);
  run();
  advance(3s);
  EXPECT_FALSE(conn_->closed());
  EXPECT_FALSE(exit_->down);
}

}  // namespace
}  // namespace clasp::actors
