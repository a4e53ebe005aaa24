// The inbound end of a federation link in virtual time: the session answers
// a federation HELLO and hands the connection to a peer link, which starts at
// Handshaking, is Syncing once the peer's declaration is accepted and our ACK
// and declaration went out, Active when its sync completes, gone when it
// closes; refusals, the registry's 10 s answer timeout, heartbeats and
// silence, identity probes, and the link closing when the registry restarts.
#include <gtest/gtest.h>

#include <optional>

#include "actors/errors.hpp"
#include "actors/federation/peer_link_actor.hpp"
#include "actors/router/session_actor.hpp"
#include "tests/actors/recording_actors.hpp"
#include "tests/actors/virtual_time.hpp"

namespace clasp::actors {
namespace {

using federation::peer_state;
using namespace std::chrono_literals;

class InboundPeerLink : public clasp::testing::virtual_time {
 protected:
  InboundPeerLink() {
    config_->federation.mode = federation_mode::hub;
    config_->federation.router_id = "hub";
    config_->federation.auth_token = "secret";
  }

  void start() {
    session_deps deps;
    deps.config = config_;
    deps.store = keep(clasp::testing::spawn_recording_store(sys(), store_));
    manager_actor_ = keep(clasp::testing::spawn_recording_peer<federation_manager_actor>(sys(), manager_));
    deps.manager = manager_actor_;
    deps.on_peer_link = [this](const peer_link_actor& link) { link_ = keep(link); };
    session_ = keep(spawn_session(sys(), deps, conn_));
    session_exit_ = watch(session_);
    run();
  }

  static msg::hello peer_hello(std::string token = "secret") {
    msg::hello h;
    h.features = feature::federation;
    h.name = "leaf-a";
    h.token = std::move(token);
    return h;
  }

  // The peer's HELLO; once accepted, the link that took the connection over is watched.
  void hello(std::string token = "secret") {
    conn_->read({peer_hello(std::move(token))});
    run();
    if (link_) exit_ = watch(link_);
  }

  void declare() {
    conn_->read({clasp::testing::declaration_from("leaf-a", {"/site-a/**"})});
    run();
  }

  // Asks the link whether its peer is alive, as the registry does when
  // another link claims the same router id; the answer lands in the result.
  std::shared_ptr<std::optional<bool>> probe_link() {
    auto answered = std::make_shared<std::optional<bool>>();
    auto link = link_;
    keep(sys().spawn([=](caf::event_based_actor* self) {
      self->request(link, caf::infinite, liveness_probe_atom_v).then([=](bool alive) {
        *answered = alive;
        self->quit();
      });
    }));
    run();
    return answered;
  }

  std::vector<peer_state> states() const {
    std::vector<peer_state> out;
    for (const auto& s : manager_->statuses)
      if (!s.remove) out.push_back(s.state);
    return out;
  }

  std::shared_ptr<node_config> config_ = std::make_shared<node_config>();
  std::shared_ptr<clasp::testing::store_log> store_ = std::make_shared<clasp::testing::store_log>();
  std::shared_ptr<clasp::testing::peer_log> manager_ = std::make_shared<clasp::testing::peer_log>();
  std::shared_ptr<clasp::testing::scripted_connection> conn_ =
      std::make_shared<clasp::testing::scripted_connection>();
  federation_manager_actor manager_actor_;
  session_actor session_;
  peer_link_actor link_;
  std::shared_ptr<exit_watch> session_exit_;
  std::shared_ptr<exit_watch> exit_;  // the link's
};

TEST_F(InboundPeerLink, HandshakingThenSyncingThenActiveThenGone) {
  start();
  hello();
  ASSERT_TRUE(link_) << "a federation HELLO hands the connection to a peer link";
  EXPECT_TRUE(session_exit_->down) << "the session's part is over";
  EXPECT_FALSE(conn_->closed()) << "the connection lives on in the link";
  EXPECT_EQ(states(), (std::vector<peer_state>{peer_state::handshaking}))
      << "an accepted inbound peer starts at Handshaking";
  EXPECT_EQ(store_->count("attach:inbound"), 1u);
  ASSERT_EQ(conn_->all<msg::welcome>().size(), 1u);
  EXPECT_NE(conn_->all<msg::welcome>()[0].features & feature::federation, 0);

  manager_->declare_answer.declaration = {"/site-b/**"};
  declare();
  ASSERT_EQ(manager_->declare_requests.size(), 1u);
  EXPECT_EQ(manager_->declare_requests[0].router_id, "leaf-a");
  EXPECT_EQ(manager_->declare_requests[0].patterns, std::vector<std::string>{"/site-a/**"});
  EXPECT_EQ(conn_->all<msg::ack>().size(), 1u);
  auto back = conn_->all<msg::federation_sync>();
  ASSERT_EQ(back.size(), 1u) << "our declaration follows the ACK";
  EXPECT_EQ(back[0].origin.value_or(""), "hub");
  EXPECT_EQ(back[0].patterns, std::vector<std::string>{"/site-b/**"});
  EXPECT_EQ(manager_->ready.size(), 1u) << "the registry may now plan its syncs";
  EXPECT_EQ(states(), (std::vector<peer_state>{peer_state::handshaking, peer_state::syncing}));
  EXPECT_EQ(manager_->statuses.back().router_id, "leaf-a");

  tell(link_, sync_done{});
  run();
  EXPECT_EQ(states().back(), peer_state::active);

  conn_->close_from_peer("gone");
  run();
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(manager_->statuses.back().remove) << "its row leaves /federation/peers";
  EXPECT_EQ(manager_->closed.size(), 1u);
  EXPECT_EQ(store_->events.back().rfind("detach:", 0), 0u);
}

TEST_F(InboundPeerLink, WrongTokenIsRefusedAndClosed) {
  start();
  hello("guess");
  auto errors = conn_->all<msg::error>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, error_code::unauthorized);
  EXPECT_TRUE(conn_->closed());
  EXPECT_TRUE(states().empty()) << "never a peer";
  EXPECT_FALSE(link_) << "no link for a refused peer";
}

TEST_F(InboundPeerLink, RefusedDeclarationGetsTheRegistrysErrorAndStaysHandshaking) {
  start();
  hello();
  manager_->declare_answer = {403, "namespace '/site-a/**' overlaps", {}};
  declare();
  auto errors = conn_->all<msg::error>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, 403);
  EXPECT_TRUE(conn_->all<msg::ack>().empty());
  EXPECT_TRUE(manager_->ready.empty());
  EXPECT_EQ(states().back(), peer_state::handshaking);
  EXPECT_FALSE(exit_->down) << "it may declare again";
}

TEST_F(InboundPeerLink, SilentRegistryGetsAnErrorAfterTenSeconds) {
  manager_->answer_declarations = false;
  start();
  hello();
  declare();
  advance(9999ms);
  EXPECT_TRUE(conn_->all<msg::error>().empty());
  advance(1ms);
  auto errors = conn_->all<msg::error>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, error_code::internal);
  EXPECT_NE(errors[0].message.find("did not answer"), std::string::npos) << errors[0].message;
}

TEST_F(InboundPeerLink, PeerIsPingedEveryTwoSeconds) {
  start();
  hello();
  advance(1999ms);
  EXPECT_TRUE(conn_->all<msg::ping>().empty());
  advance(1ms);
  EXPECT_EQ(conn_->all<msg::ping>().size(), 1u);
  advance(4s);
  EXPECT_EQ(conn_->all<msg::ping>().size(), 3u);
}

TEST_F(InboundPeerLink, SilentPeerIsClosedAtTheFirstHeartbeatPastTenSeconds) {
  start();
  hello();
  declare();
  advance(10s);
  EXPECT_FALSE(exit_->down) << "silent for 10 s is not yet past the limit";
  advance(2s);
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(conn_->closed());
  EXPECT_TRUE(manager_->statuses.back().remove);
}

TEST_F(InboundPeerLink, RegistryRestartClosesTheLinkSoThePeerRedeclares) {
  start();
  hello();
  declare();
  end_with(manager_actor_, make_error(ec::killed_by_admin));
  run();
  ASSERT_TRUE(exit_->down);
  EXPECT_TRUE(conn_->closed()) << "the socket is aborted";
}

TEST_F(InboundPeerLink, ClientHelloIsNoPeer) {
  start();
  msg::hello h;
  h.name = "plain client";
  conn_->read({h});
  run();
  EXPECT_EQ(store_->count("attach:client"), 1u);
  EXPECT_TRUE(states().empty());
  advance(10s);
  EXPECT_TRUE(conn_->all<msg::ping>().empty()) << "clients are not probed";
  EXPECT_FALSE(link_);
  EXPECT_FALSE(session_exit_->down);
}

TEST_F(InboundPeerLink, DeclarationInTheHellosReadReachesTheLinkInOrder) {
  start();
  manager_->declare_answer.declaration = {"/site-b/**"};
  conn_->read({peer_hello(), clasp::testing::declaration_from("leaf-a", {"/site-a/**"})});
  run();
  ASSERT_TRUE(link_);
  ASSERT_EQ(manager_->declare_requests.size(), 1u) << "the rest of the session's read went to the link";
  EXPECT_EQ(manager_->declare_requests[0].link, manager_->statuses.front().link)
      << "the link keeps the session id the peer saw in WELCOME";
  ASSERT_EQ(conn_->all<msg::welcome>().size(), 1u);
  EXPECT_EQ(conn_->all<msg::ack>().size(), 1u);
  EXPECT_EQ(states().back(), peer_state::syncing);
}

TEST_F(InboundPeerLink, CloseDuringTheHandOverReachesTheLink) {
  start();
  conn_->read({peer_hello()});
  conn_->close_from_peer("gone at once");  // before the session handled the HELLO
  run();
  ASSERT_TRUE(link_);
  exit_ = watch(link_);
  run();
  EXPECT_TRUE(exit_->down) << "the link heard of the close the session was told";
  EXPECT_TRUE(manager_->statuses.back().remove);
  EXPECT_EQ(store_->events.back().rfind("detach:", 0), 0u);
}

TEST_F(InboundPeerLink, IdentityProbeIsAnsweredByAnyReadAfterItsPing) {
  config_->federation.identity_probe_ms = 500;
  start();
  hello();
  declare();
  auto answered = probe_link();
  EXPECT_FALSE(answered->has_value()) << "waits for the peer";
  conn_->read({msg::pong{}});
  advance(10ms);
  ASSERT_TRUE(answered->has_value());
  EXPECT_TRUE(**answered);
}

TEST_F(InboundPeerLink, IdentityProbeOfASilentPeerAnswersFalseWhenTheProbeTimeEnds) {
  config_->federation.identity_probe_ms = 500;
  start();
  hello();
  declare();
  auto answered = probe_link();
  advance(490ms);
  EXPECT_FALSE(answered->has_value());
  advance(20ms);
  ASSERT_TRUE(answered->has_value());
  EXPECT_FALSE(**answered);
}

}  // namespace
}  // namespace clasp::actors
