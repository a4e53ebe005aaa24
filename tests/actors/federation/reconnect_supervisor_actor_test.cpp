// The reconnect supervisor in virtual time: every retry of a link that went
// down waits exactly the backoff delay (fixed jitter draws), the delays double
// up to the cap, past max_reconnect_attempts the peer is Failed and stays so
// until re-enabled, a link that reached Active starts counting afresh, and a
// link that stood down for a redundant one waits until that one is gone.
#include <gtest/gtest.h>

#include <deque>

#include "actors/errors.hpp"
#include "actors/federation/reconnect_supervisor_actor.hpp"
#include "tests/actors/recording_actors.hpp"
#include "tests/actors/virtual_time.hpp"

namespace clasp::actors {
namespace {

using federation::peer_state;
using namespace std::chrono_literals;

constexpr const char* hub_url = "ws://hub.test:7330";

class ReconnectSupervisor : public clasp::testing::virtual_time {
 protected:
  ReconnectSupervisor() {
    auto& fed = config_->federation;
    fed.mode = federation_mode::leaf;
    fed.router_id = "leaf-a";
    fed.owned_namespaces = {"/site-a/**"};
    fed.hub_endpoints = {hub_url};
    fed.reconnect_delay_ms = 1000;
    fed.reconnect_max_delay_ms = 4000;
    fed.max_reconnect_attempts = 3;
  }

  void start() {
    peer_link_deps deps;
    deps.config = config_;
    deps.store = keep(clasp::testing::spawn_recording_store(sys(), store_));
    deps.manager = keep(clasp::testing::spawn_recording_peer<federation_manager_actor>(sys(), manager_));
    deps.connector = connector_.function();
    supervisor_ = keep(spawn_reconnect_supervisor(sys(), deps, [this] {
      EXPECT_FALSE(draws_.empty()) << "more retries scheduled than the test expects";
      if (draws_.empty()) return 0.0;
      const double d = draws_.front();
      draws_.pop_front();
      return d;
    }));
    run();
  }

  std::size_t attempts() const { return connector_.attempts.size(); }

  // The latest connection attempt is refused.
  void refuse_latest(std::string why = "connection refused") {
    connector_.refuse(attempts() - 1, std::move(why));
    run();
  }

  // Asserts the next attempt comes exactly `delay` after now.
  void expect_retry_after(std::chrono::milliseconds delay) {
    const auto before = attempts();
    advance(delay - 1ms);
    EXPECT_EQ(attempts(), before) << "retried before " << delay.count() << " ms";
    advance(1ms);
    EXPECT_EQ(attempts(), before + 1) << "no retry at " << delay.count() << " ms";
  }

  // The latest attempt connects and its link goes all the way to Active.
  peer_link_actor bring_up_latest() {
    auto conn = std::make_shared<clasp::testing::scripted_connection>();
    conns_.push_back(conn);
    connector_.connect(attempts() - 1, conn);
    run();
    conn->read({clasp::testing::welcome_from("S1")});
    run();
    conn->read({msg::ack{}, clasp::testing::declaration_from("hub", {})});
    run();
    EXPECT_FALSE(manager_->declared.empty());
    auto link = manager_->declared.back().actor;
    tell(link, sync_done{});
    run();
    EXPECT_EQ(manager_->last_state(), peer_state::active);
    return link;
  }

  const peer_status& last_status() const { return manager_->statuses.back(); }

  std::shared_ptr<node_config> config_ = std::make_shared<node_config>();
  std::shared_ptr<clasp::testing::store_log> store_ = std::make_shared<clasp::testing::store_log>();
  std::shared_ptr<clasp::testing::peer_log> manager_ = std::make_shared<clasp::testing::peer_log>();
  clasp::testing::scripted_connector connector_;
  std::vector<std::shared_ptr<clasp::testing::scripted_connection>> conns_;
  std::deque<double> draws_;
  reconnect_supervisor_actor supervisor_;
};

TEST_F(ReconnectSupervisor, BacksOffExactlyThenFailsThenReenables) {
  // Delay = min(1000 * 2^(n-1), 4000) * (1 + 0.25 * draw).
  draws_ = {0.0, 0.5, 0.2};
  start();
  ASSERT_EQ(attempts(), 1u) << "the first connect is immediate";
  EXPECT_EQ(connector_.attempts[0].url, hub_url);

  refuse_latest();
  EXPECT_EQ(last_status().state, peer_state::disconnected);
  EXPECT_EQ(last_status().reconnect_attempts, 1u);
  EXPECT_EQ(last_status().key, hub_url);
  expect_retry_after(1000ms);

  refuse_latest();
  EXPECT_EQ(last_status().reconnect_attempts, 2u);
  expect_retry_after(2250ms);

  refuse_latest();
  EXPECT_EQ(last_status().reconnect_attempts, 3u);
  expect_retry_after(4200ms);
  EXPECT_EQ(elapsed(), 1000ms + 2250ms + 4200ms);

  refuse_latest();  // the fourth failure in a row: past max_reconnect_attempts
  EXPECT_EQ(last_status().state, peer_state::failed);
  EXPECT_EQ(last_status().reconnect_attempts, 3u);
  EXPECT_EQ(last_status().last_error, "connection refused");
  advance(24h);
  EXPECT_EQ(attempts(), 4u) << "Failed stays Failed";
  EXPECT_TRUE(draws_.empty());

  tell(supervisor_, reenable_atom_v);
  run();
  EXPECT_EQ(attempts(), 5u) << "re-enabled: it connects again at once";
  EXPECT_EQ(last_status().state, peer_state::connecting);
  EXPECT_EQ(last_status().reconnect_attempts, 0u) << "the count starts afresh";

  draws_ = {0.0};
  refuse_latest();
  EXPECT_EQ(last_status().state, peer_state::disconnected);
  expect_retry_after(1000ms);
}

TEST_F(ReconnectSupervisor, DelaysDoubleUpToTheCapAndJitterStaysBounded) {
  config_->federation.max_reconnect_attempts = 0;  // unlimited
  config_->federation.reconnect_max_delay_ms = 3000;
  draws_ = {0.0, 0.0, 0.0, 0.999999, 0.0};
  start();
  refuse_latest();
  expect_retry_after(1000ms);
  refuse_latest();
  expect_retry_after(2000ms);
  refuse_latest();
  expect_retry_after(3000ms);  // 4000, capped
  refuse_latest();
  expect_retry_after(3749ms);  // the cap plus at most 25 %
  refuse_latest();
  expect_retry_after(3000ms);
  EXPECT_NE(last_status().state, peer_state::failed) << "unlimited attempts never fail";
}

TEST_F(ReconnectSupervisor, LinkThatReachedActiveStartsCountingAfresh) {
  draws_ = {0.0, 0.0, 0.0};
  start();
  refuse_latest();
  expect_retry_after(1000ms);
  refuse_latest();
  expect_retry_after(2000ms);
  bring_up_latest();
  EXPECT_EQ(last_status().reconnect_attempts, 0u);

  conns_.back()->close_from_peer("hub restarted");
  run();
  EXPECT_EQ(last_status().state, peer_state::disconnected);
  EXPECT_EQ(last_status().reconnect_attempts, 1u);
  expect_retry_after(1000ms);  // not 4000: it had been Active
}

TEST_F(ReconnectSupervisor, WithoutAutoReconnectTheFirstLossIsFailed) {
  config_->federation.auto_reconnect = false;
  start();
  refuse_latest();
  EXPECT_EQ(last_status().state, peer_state::failed);
  advance(1h);
  EXPECT_EQ(attempts(), 1u);
}

TEST_F(ReconnectSupervisor, KilledLinkIsRetriedWithBackoff) {
  draws_ = {0.0};
  start();
  bring_up_latest();
  EXPECT_EQ(ask<std::uint32_t>(supervisor_, kill_links_atom_v, std::string("hub")), 1u);
  EXPECT_EQ(last_status().state, peer_state::disconnected);
  expect_retry_after(1000ms);
}

TEST_F(ReconnectSupervisor, RedundantLinkStandsByUntilTheOtherLinkGoes) {
  start();
  auto link = bring_up_latest();
  // The manager keeps the link the hub opened to us and stands ours down.
  end_with(link, make_error(ec::redundant_link, "hub"));
  run();
  EXPECT_TRUE(last_status().remove) << "the standing-by link leaves /federation/peers";
  advance(1h);
  EXPECT_EQ(attempts(), 1u) << "no retry while the other link is up";

  tell(supervisor_, standby_over_atom_v, std::string("hub"));
  run();
  EXPECT_EQ(attempts(), 2u) << "the other link went: ours takes over at once";
}

TEST_F(ReconnectSupervisor, ShutdownStopsRetrying) {
  draws_ = {0.0};
  start();
  refuse_latest();
  tell(supervisor_, shutdown_atom_v);
  run();
  advance(1h);
  EXPECT_EQ(attempts(), 1u);
}

}  // namespace
}  // namespace clasp::actors
