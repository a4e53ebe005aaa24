// federation_facade against a real federation manager actor in a real actor
// system: two peers declared through the typed interface, then every query
// answered through the facade; and what the facade does when nobody answers.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/actors/actor_test_support.hpp"
#include "actors/federation/federation_facade.hpp"
#include "actors/federation/federation_manager_actor.hpp"

namespace clasp::actors {
namespace {

using clasp::testing::actor_env;
using clasp::testing::probe;
using strings = std::vector<std::string>;

strings sorted(strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

peer_status status(std::string key, std::string router_id, std::string state, strings namespaces) {
  peer_status p;
  p.key = std::move(key);
  p.router_id = std::move(router_id);
  p.state = federation::peer_state_from_string(state).value();
  p.namespaces = std::move(namespaces);
  p.endpoint = "127.0.0.1:1";
  return p;
}

// A hub's manager with two inbound peers, site-a (Active) and site-b (Syncing).
class FederationFacade : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = env_.sys().spawn(clasp::testing::stub_store, events_);
    session_a_ = env_.sys().spawn(clasp::testing::stub_peer_link, events_, "a");
    session_b_ = env_.sys().spawn(clasp::testing::stub_peer_link, events_, "b");
    manager_ = spawn_federation_manager(env_.sys(), store_, "hub", {});
    caf::scoped_actor self{env_.sys()};
    auto declare = [&](declare_request req) {
      declare_reply out{999, "no answer", {}};
      self->request(manager_, std::chrono::seconds(5), std::move(req))
          .receive([&](declare_reply& r) { out = std::move(r); },
                   [&](caf::error& err) { out.reason = env_.sys().render(err); });
      return out;
    };
    auto a = declare({1, "site-a", {"/site-a/**"}, session_a_, {}});
    ASSERT_EQ(a.error, 0) << a.reason;
    EXPECT_TRUE(a.declaration.empty()) << "nobody else known yet";
    auto b = declare({2, "site-b", {"/site-b/**"}, session_b_, {}});
    ASSERT_EQ(b.error, 0) << b.reason;
    EXPECT_EQ(b.declaration, strings{"/site-a/**"}) << "the hub declares the other peer to site-b";
    self->send(manager_, status("in:1", "site-a", "Active", {"/site-a/**"}));
    self->send(manager_, status("in:2", "site-b", "Syncing", {"/site-b/**"}));
  }

  void TearDown() override {
    for (auto h :
         {caf::actor_cast<caf::actor>(manager_), caf::actor_cast<caf::actor>(store_),
          caf::actor_cast<caf::actor>(session_a_), caf::actor_cast<caf::actor>(session_b_)})
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  }

  actor_env env_;
  std::shared_ptr<probe> events_ = std::make_shared<probe>();
  state_store_actor store_;
  peer_link_actor session_a_;
  peer_link_actor session_b_;
  federation_manager_actor manager_;
};

TEST_F(FederationFacade, DeclarationsReachTheStoreAndTheOtherPeer) {
  EXPECT_TRUE(events_->wait_for("mark:site-a"));
  EXPECT_TRUE(events_->wait_for("mark:site-b"));
  EXPECT_TRUE(events_->wait_for("routing", 3)) << "initial table plus one per declaration";
  EXPECT_TRUE(events_->wait_for("redeclare:a:1")) << "site-a learns about /site-b/**";
  EXPECT_EQ(events_->count("redeclare:b:1"), 0u)
      << "the declaring peer got its answer in the reply";
}

TEST_F(FederationFacade, AnswersPeerQueries) {
  federation_facade facade(env_.sys(), manager_);
  auto active = facade.active_peers();
  ASSERT_TRUE(active) << active.error();
  EXPECT_EQ(*active, strings{"site-a"});

  auto count = facade.peer_count();
  ASSERT_TRUE(count) << count.error();
  EXPECT_EQ(*count, 2u);

  auto info = facade.peer_info("site-b");
  ASSERT_TRUE(info) << info.error();
  ASSERT_TRUE(info->has_value());
  const peer_summary& b = **info;
  EXPECT_EQ(b.router_id, "site-b");
  EXPECT_EQ(b.state, "Syncing");
  EXPECT_EQ(b.namespaces, strings{"/site-b/**"});
  EXPECT_FALSE(b.outbound);
  EXPECT_EQ(b.endpoint, "127.0.0.1:1");

  auto unknown = facade.peer_info("site-z");
  ASSERT_TRUE(unknown) << unknown.error();
  EXPECT_FALSE(unknown->has_value()) << "an unknown router is an answer, not an error";
}

TEST_F(FederationFacade, AnswersRoutingQueriesWithOriginExcluded) {
  federation_facade facade(env_.sys(), manager_);
  // A local update of site-a's namespace goes to site-a (owner) and site-b (replica).
  auto local = facade.peers_for_address("/site-a/lights/1", "");
  ASSERT_TRUE(local) << local.error();
  EXPECT_EQ(sorted(*local), (strings{"site-a", "site-b"}));
  // Coming from site-a it never goes back there.
  auto from_a = facade.peers_for_address("/site-a/lights/1", "site-a");
  ASSERT_TRUE(from_a) << from_a.error();
  EXPECT_EQ(*from_a, strings{"site-b"});

  auto fwd = facade.should_forward("/site-b/door", "site-a");
  ASSERT_TRUE(fwd) << fwd.error();
  EXPECT_TRUE(*fwd);
  auto nobody = facade.should_forward("/elsewhere/x", "");
  ASSERT_TRUE(nobody) << nobody.error();
  EXPECT_FALSE(*nobody) << "no peer's interest covers it";
  auto none = facade.peers_for_address("/elsewhere/x", "");
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->empty());
}

TEST_F(FederationFacade, ClosedLinkIsNoLongerForwardedTo) {
  caf::anon_send(manager_, link_closed{2});
  federation_facade facade(env_.sys(), manager_);
  auto peers = facade.peers_for_address("/site-a/lights/1", "");
  ASSERT_TRUE(peers) << peers.error();
  EXPECT_EQ(*peers, strings{"site-a"});
}

TEST_F(FederationFacade, ReportsAnErrorWhenTheManagerIsGone) {
  caf::scoped_actor self{env_.sys()};
  self->monitor(manager_);
  self->send_exit(manager_, caf::exit_reason::kill);
  self->receive([](caf::down_msg&) {});
  federation_facade facade(env_.sys(), manager_);
  auto count = facade.peer_count();
  EXPECT_FALSE(count);
  EXPECT_FALSE(count.error().empty());
}

// A manager that takes requests and never answers them.
// Takes an (unused) argument: CAF 0.17 binds a reference to a null argument
// tuple when a self-pointer behavior is spawned without arguments, which UBSan
// reports (scripts/test-sanitized.sh).
federation_manager_actor::behavior_type silent_manager(federation_manager_actor::pointer self, int) {
  auto pending = std::make_shared<std::vector<caf::typed_response_promise<std::uint32_t>>>();
  return {
      [=](declare_request&) -> declare_reply { return {}; },
      [=](upstream_declared&) -> bool { return true; },
      [=](link_closed&) {},
      [=](peer_status&) {},
      [=](register_supervisor&) {},
      [=](route_advert_in&) {},
      [=](link_ready&) {},
      [=](tell_neighbours_atom) {},
      [=](peers_atom) -> std::string { return "[]"; },
      [=](peer_count_atom) -> caf::typed_response_promise<std::uint32_t> {
        pending->push_back(self->make_response_promise<std::uint32_t>());
        return pending->back();
      },
      [=](active_atom) -> strings { return {}; },
      [=](peer_info_atom, const std::string&) -> std::string { return "null"; },
      [=](peers_for_atom, const std::string&, const std::string&) -> strings { return {}; },
      [=](should_fwd_atom, const std::string&, const std::string&) -> bool { return false; },
      [=](watch_peers_atom, caf::actor&) -> std::string { return "[]"; },
      [=](kill_links_atom) -> std::uint32_t { return 0; },
      [=](kill_sessions_atom, const std::string&) -> std::uint32_t { return 0; },
      [=](tracker_atom) -> caf::actor { return {}; },
      [=](reenable_atom) -> bool { return false; },
  };
}

TEST(FederationFacadeTimeout, GivesUpAfterItsTimeout) {
  actor_env env;
  auto manager = env.sys().spawn(silent_manager, 0);
  federation_facade facade(env.sys(), manager, std::chrono::milliseconds(100));
  auto started = std::chrono::steady_clock::now();
  auto count = facade.peer_count();
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(count);
  EXPECT_NE(count.error().find("timeout"), std::string::npos) << count.error();
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::seconds(3));
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
}

TEST(FederationFacadeOff, WithoutManagerEveryQueryFails) {
  actor_env env;
  federation_facade facade(env.sys(), federation_manager_actor{});
  EXPECT_FALSE(facade.active_peers());
  EXPECT_FALSE(facade.should_forward("/a", ""));
  EXPECT_NE(facade.peer_count().error().find("federation is off"), std::string::npos);
}

}  // namespace
}  // namespace clasp::actors
