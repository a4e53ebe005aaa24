// The namespace registry's actor (the federation manager) in virtual time:
// declarations and what it declares back, overlap decisions (a connected
// owner keeps its namespaces; between claims that meet in advertisements the
// older wins, then the smaller id), routes as links come and go, and what it
// tells the tracker, the store and the neighbours meanwhile.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "actors/errors.hpp"
#include "actors/federation/federation_manager_actor.hpp"
#include "tests/actors/recording_actors.hpp"
#include "tests/actors/virtual_time.hpp"

namespace clasp::actors {
namespace {

using namespace std::chrono_literals;
using strings = std::vector<std::string>;
using federation::owner_kind;
using federation::peer_state;

class FederationManager : public clasp::testing::virtual_time {
 protected:
  void start(std::string self_id, strings own = {}, std::uint64_t claim_us = 0) {
    store_actor_ = keep(clasp::testing::spawn_recording_store(sys(), store_));
    manager_options options;
    options.claim_us = claim_us;
    manager_ = keep(spawn_federation_manager(sys(), store_actor_, std::move(self_id), std::move(own), {}, {},
                                             options));
    run();
  }

  // An inbound neighbour on `link` declares; the reply is what we declare back.
  declare_reply declare(session_id_t link, std::string router, strings patterns,
                        std::uint64_t claim_us = 0, bool route_capable = false) {
    auto& log = sessions_[link];
    log = std::make_shared<clasp::testing::peer_log>();
    auto session = keep(clasp::testing::spawn_recording_peer<peer_link_actor>(sys(), log));
    federation::neighbour_hello hello{route_capable, claim_us};
    auto reply = ask<declare_reply>(manager_, declare_request{link, std::move(router), std::move(patterns),
                                                              session, hello});
    if (reply.error == 0) {
      tell(manager_, link_ready{link});  // the session sent our ACK and declaration
      run();
    }
    return reply;
  }
  // One of our routers on `link` (route advertisements), claimed at `claim_us`.
  void declare_neighbour(session_id_t link, std::string router, strings own, std::uint64_t claim_us) {
    auto reply = declare(link, std::move(router), std::move(own), claim_us, /*route_capable=*/true);
    ASSERT_EQ(reply.error, 0) << reply.reason;
  }
  void advertise(session_id_t link, std::string owner, strings namespaces, strings path,
                 std::uint64_t claim_us) {
    tell(manager_, route_advert_in{link, {std::move(owner), std::move(namespaces), std::move(path), claim_us}});
    run();
  }
  // Our outbound link on `link` reached one of our routers, which declared `own`.
  void upstream(session_id_t link, std::string router, strings own, std::uint64_t claim_us) {
    auto& log = sessions_[link];
    log = std::make_shared<clasp::testing::peer_log>();
    auto actor = keep(clasp::testing::spawn_recording_peer<peer_link_actor>(sys(), log));
    EXPECT_TRUE(ask<bool>(manager_, upstream_declared{link, std::move(router), std::move(own), true,
                                                       federation::neighbour_hello{true, claim_us}, actor}));
    run();
  }
  // The link as the store's routing has it now.
  const federation::link_view* view(session_id_t link) const {
    auto table = store_->routing();
    return table ? table->link(link) : nullptr;
  }
  void close(session_id_t link) {
    tell(manager_, link_closed{link});
    run();
  }

  // Who owns `address` in the routing the store holds now, and through which link.
  std::pair<std::string, federation::link_id_t> owner(const std::string& address) const {
    auto table = store_->routing();
    if (!table) return {"<no routing>", 0};
    auto found = table->owner_of(address);
    if (found.kind == owner_kind::self) return {"<self>", 0};
    if (found.kind == owner_kind::none) return {"<none>", 0};
    return {found.ns->owner, found.ns->via};
  }

  std::vector<actors::request_sync> take_syncs() {
    auto out = std::move(store_->syncs);
    store_->syncs.clear();
    return out;
  }

  std::shared_ptr<clasp::testing::store_log> store_ = std::make_shared<clasp::testing::store_log>();
  std::map<session_id_t, std::shared_ptr<clasp::testing::peer_log>> sessions_;
  state_store_actor store_actor_;
  federation_manager_actor manager_;
};

using owner_via = std::pair<std::string, federation::link_id_t>;

TEST_F(FederationManager, DeclarationsBuildRoutingAndWhatEachPeerIsToldAndAsked) {
  start("hub");
  ASSERT_TRUE(store_->routing()) << "a first (empty) routing snapshot at start";

  auto a = declare(1, "site-a", {"/site-a/**"});
  ASSERT_EQ(a.error, 0) << a.reason;
  EXPECT_TRUE(a.declaration.empty()) << "nobody else is known yet";
  auto b = declare(2, "site-b", {"/site-b/**"});
  ASSERT_EQ(b.error, 0) << b.reason;
  EXPECT_EQ(b.declaration, strings{"/site-a/**"});

  EXPECT_EQ(owner("/site-a/x"), (owner_via{"site-a", 1}));
  EXPECT_EQ(owner("/site-b/y"), (owner_via{"site-b", 2}));
  EXPECT_EQ(owner("/elsewhere"), (owner_via{"<none>", 0}));
  EXPECT_EQ(store_->count("mark:site-a"), 1u);
  EXPECT_EQ(store_->count("mark:site-b"), 1u);

  ASSERT_FALSE(sessions_[1]->routes.empty()) << "site-a hears of /site-b/**";
  EXPECT_EQ(sessions_[1]->routes.back().declaration, strings{"/site-b/**"})
      << "another implementation's peer is declared every namespace reachable through us";

  auto syncs = take_syncs();
  ASSERT_EQ(syncs.size(), 2u) << "each link is asked for its namespaces once it is ready";
  EXPECT_EQ(syncs[0].id, 1u);
  EXPECT_EQ(syncs[0].patterns, strings{"/site-a/**"});
  EXPECT_EQ(syncs[1].id, 2u);
  EXPECT_EQ(syncs[1].patterns, strings{"/site-b/**"});

  EXPECT_TRUE(ask<bool>(manager_, should_fwd_atom_v, std::string("/site-a/x"), std::string("site-b")));
  EXPECT_FALSE(ask<bool>(manager_, should_fwd_atom_v, std::string("/elsewhere/x"), std::string("site-a")))
      << "only to a link that wants it, never back to where it came from";
  auto peers = ask<strings>(manager_, peers_for_atom_v, std::string("/site-b/q"), std::string());
  std::sort(peers.begin(), peers.end());
  EXPECT_EQ(peers, (strings{"site-a", "site-b"})) << "site-a's interest is everything it does not own";
}

TEST_F(FederationManager, OverlapWithAConnectedOwnerOrOurOwnIsRefused) {
  start("leaf-hub", {"/mine/**"});
  ASSERT_EQ(declare(1, "site-a", {"/shared/**"}).error, 0);
  const auto routings = store_->routings.size();

  auto overlap = declare(2, "site-b", {"/shared/x/**"});
  EXPECT_EQ(overlap.error, 403);
  EXPECT_NE(overlap.reason.find("site-a"), std::string::npos) << overlap.reason;
  auto ours = declare(3, "site-c", {"/mine/sub/**"});
  EXPECT_EQ(ours.error, 403);
  EXPECT_NE(ours.reason.find("this router's own"), std::string::npos) << ours.reason;
  auto bad = declare(4, "site-d", {"no-slash["});
  EXPECT_EQ(bad.error, 400);
  auto anonymous = declare(5, "", {"/anon/**"});
  EXPECT_EQ(anonymous.error, 400);
  auto impostor = declare(6, "leaf-hub", {"/other/**"});
  EXPECT_EQ(impostor.error, 403) << "our own id";

  EXPECT_EQ(store_->routings.size(), routings) << "a refused declaration changes no routing";
  EXPECT_EQ(owner("/shared/x/1"), (owner_via{"site-a", 1}));

  // The same router reconnecting on a new link is no conflict: it replaces itself.
  ASSERT_EQ(declare(7, "site-a", {"/shared/**"}).error, 0);
  EXPECT_EQ(owner("/shared/x/1"), (owner_via{"site-a", 7}));
}

// Two owners of /shared/** meet in route advertisements: x (claimed at 200)
// through n1, y (claimed at 100) through n2.
class ClaimOrder : public FederationManager, public ::testing::WithParamInterface<bool> {};

TEST_P(ClaimOrder, OlderClaimWinsWhicheverArrivesFirst) {
  start("m");
  declare_neighbour(1, "n1", {"/n1/**"}, 10);
  declare_neighbour(2, "n2", {"/n2/**"}, 20);
  if (GetParam()) {
    advertise(1, "x", {"/shared/**"}, {"n1", "x"}, 200);
    advertise(2, "y", {"/shared/**"}, {"n2", "y"}, 100);
  } else {
    advertise(2, "y", {"/shared/**"}, {"n2", "y"}, 100);
    advertise(1, "x", {"/shared/**"}, {"n1", "x"}, 200);
  }
  EXPECT_EQ(owner("/shared/a"), (owner_via{"y", 2}));
  auto table = store_->routing();
  for (const auto& r : table->remote) EXPECT_NE(r.owner, "x") << "the younger claim is refused outright";

  // The winner withdraws: the other claim stands.
  advertise(2, "y", {}, {}, 0);
  EXPECT_EQ(owner("/shared/a"), (owner_via{"x", 1}));
}

INSTANTIATE_TEST_SUITE_P(ArrivalOrder, ClaimOrder, ::testing::Bool());

TEST_F(FederationManager, EqualClaimsGoToTheSmallerRouterId) {
  start("m");
  declare_neighbour(1, "n1", {"/n1/**"}, 10);
  declare_neighbour(2, "n2", {"/n2/**"}, 20);
  advertise(2, "y", {"/shared/**"}, {"n2", "y"}, 100);
  advertise(1, "x", {"/shared/**"}, {"n1", "x"}, 100);
  EXPECT_EQ(owner("/shared/a"), (owner_via{"x", 1}));
}

TEST_F(FederationManager, OurOwnClaimLosesToAnOlderOne) {
  start("m", {"/shared/**"}, 500);
  declare_neighbour(1, "n1", {"/n1/**"}, 10);
  advertise(1, "old", {"/shared/**"}, {"n1", "old"}, 100);
  auto table = store_->routing();
  bool old_routed = false;
  for (const auto& r : table->remote) old_routed |= r.owner == "old" && r.via == 1;
  EXPECT_TRUE(old_routed) << "the older claim is accepted and routed";
  // The refusal of our own claim is what /federation/peers shows.
  peer_status n1;
  n1.key = "in:1";
  n1.router_id = "n1";
  n1.link = 1;
  n1.state = federation::peer_state::active;
  tell(manager_, std::move(n1));
  auto info = ask<std::string>(manager_, peer_info_atom_v, std::string("n1"));
  EXPECT_NE(info.find("claimed earlier by 'old'"), std::string::npos) << info;
}

TEST_F(FederationManager, RoutesFollowLinksAsTheyComeAndGo) {
  start("m");
  declare_neighbour(1, "n1", {"/n1/**"}, 10);
  declare_neighbour(2, "n2", {"/n2/**"}, 20);
  advertise(1, "d", {"/d/**"}, {"n1", "d"}, 30);
  advertise(2, "d", {"/d/**"}, {"n2", "e", "d"}, 30);
  EXPECT_EQ(owner("/d/x"), (owner_via{"d", 1})) << "the shorter path";
  take_syncs();

  close(1);
  EXPECT_EQ(owner("/d/x"), (owner_via{"d", 2})) << "the longer path takes over";
  EXPECT_EQ(owner("/n1/x").second, 0u) << "n1 is known but unreachable";
  auto syncs = take_syncs();
  ASSERT_EQ(syncs.size(), 1u);
  EXPECT_EQ(syncs[0].id, 2u);
  EXPECT_EQ(syncs[0].patterns, strings{"/d/**"}) << "what n2 now leads to is synced from it";
  EXPECT_TRUE(syncs[0].full);

  declare_neighbour(3, "n1", {"/n1/**"}, 10);  // n1 is back
  advertise(3, "d", {"/d/**"}, {"n1", "d"}, 30);
  EXPECT_EQ(owner("/d/x"), (owner_via{"d", 3}));
  EXPECT_EQ(owner("/n1/x"), (owner_via{"n1", 3}));

  close(2);
  close(3);
  EXPECT_EQ(owner("/d/x"), (owner_via{"d", 0})) << "known, unreachable: writes get 501, not a local copy";
}

TEST_F(FederationManager, NeighboursHearRouteChangesAsAdvertisements) {
  start("m");
  declare_neighbour(1, "n1", {"/n1/**"}, 10);
  declare_neighbour(2, "n2", {"/n2/**"}, 20);
  auto heard = [&](session_id_t link, const std::string& owner) -> const federation::route_advert* {
    for (auto it = sessions_[link]->routes.rbegin(); it != sessions_[link]->routes.rend(); ++it)
      for (const auto& a : it->adverts)
        if (a.owner == owner) return &a;
    return nullptr;
  };
  auto to_n1 = heard(1, "n2");
  ASSERT_TRUE(to_n1);
  EXPECT_EQ(to_n1->path, (strings{"m", "n2"}));
  EXPECT_EQ(to_n1->namespaces, strings{"/n2/**"});
  close(2);
  auto withdrawn = heard(1, "n2");
  ASSERT_TRUE(withdrawn);
  EXPECT_TRUE(withdrawn->namespaces.empty()) << "a route that is gone is withdrawn";
}

// A burst of changes (here a neighbour re-advertising one route twenty times,
// as a flooding peer would make it) costs the other neighbours one update and
// the store one routing snapshot, carrying the burst's end state.
TEST_F(FederationManager, ABurstOfChangesIsToldToNeighboursOnce) {
  start("m");
  declare_neighbour(1, "n1", {"/n1/**"}, 10);
  declare_neighbour(2, "n2", {"/n2/**"}, 20);
  const auto routes_before = sessions_[1]->routes.size();
  const auto routings_before = store_->routings.size();
  for (int k = 0; k < 20; ++k)
    tell(manager_, route_advert_in{2, {"far", {"/far/" + std::to_string(k) + "/**"}, {"n2", "far"}, 30}});
  run();
  ASSERT_EQ(sessions_[1]->routes.size(), routes_before + 1) << "one update for the whole burst";
  const auto& adverts = sessions_[1]->routes.back().adverts;
  ASSERT_EQ(adverts.size(), 1u);
  EXPECT_EQ(adverts[0].owner, "far");
  EXPECT_EQ(adverts[0].namespaces, strings{"/far/19/**"}) << "the state the burst ended in";
  EXPECT_EQ(store_->routings.size(), routings_before + 1);
  EXPECT_EQ(owner("/far/19/x"), (owner_via{"far", 2}));
  EXPECT_EQ(owner("/far/3/x"), (owner_via{"<none>", 0}));
}

TEST_F(FederationManager, KilledTrackerIsRestartedAndEveryLinkResyncsInFull) {
  start("hub");
  ASSERT_EQ(declare(1, "site-a", {"/site-a/**"}).error, 0);
  ASSERT_EQ(declare(2, "site-b", {"/site-b/**"}).error, 0);
  auto tracker = ask<caf::actor>(manager_, tracker_atom_v);
  ASSERT_TRUE(tracker);
  auto gone = watch(tracker);
  take_syncs();

  // As POST /admin/kill?actor=tracker does. (caf::exit_reason::kill would
  // end the manager too: CAF never lets a linked actor intercept it.)
  end_with(tracker, make_error(ec::killed_by_admin));
  run();
  ASSERT_TRUE(gone->down);
  auto syncs = take_syncs();
  ASSERT_EQ(syncs.size(), 2u);
  for (const auto& s : syncs) EXPECT_TRUE(s.full) << "a new tracker has no record of earlier syncs";
  auto again = ask<caf::actor>(manager_, tracker_atom_v);
  EXPECT_TRUE(again);
  EXPECT_NE(again, tracker);
  EXPECT_EQ(owner("/site-a/x"), (owner_via{"site-a", 1})) << "routing is untouched";
}

// Two of our routers that list each other end up with a link each way; the
// one opened by the smaller id stays. Here we are "b": our own link to "a"
// stands down the moment a's link to us declares, and nothing it carried
// lapses meanwhile (routes and the replicas a takes from us move over before
// a has advertised anything on the kept link).
TEST_F(FederationManager, OurRedundantLinkStandsDownAndItsRoutesMoveToTheKeptLink) {
  start("b", {"/b/**"}, 20);
  upstream(2, "a", {"/a/**"}, 10);
  advertise(2, "c", {"/c/**"}, {"a", "c"}, 30);
  advertise(2, "b", {"/b/**"}, {"a", "b"}, 20);  // a reaches us through this link
  ASSERT_EQ(owner("/c/x"), (owner_via{"c", 2}));
  ASSERT_TRUE(view(2));
  ASSERT_TRUE(federation::routing_table::replicates(*view(2), "/b/x"));
  auto active_row = [](std::string key, session_id_t link, bool outbound) {
    peer_status p;
    p.key = std::move(key);
    p.router_id = "a";
    p.state = peer_state::active;
    p.link = link;
    p.outbound = outbound;
    return p;
  };
  tell(manager_, active_row("ws://a", 2, true));
  tell(manager_, active_row("in:1", 1, false));

  ASSERT_EQ(declare(1, "a", {"/a/**"}, 10, /*route_capable=*/true).error, 0);
  EXPECT_EQ(sessions_[2]->stand_downs, std::vector<bool>{true}) << "ours is told to stand down";
  EXPECT_TRUE(sessions_[1]->stand_downs.empty());
  EXPECT_EQ(owner("/a/x"), (owner_via{"a", 1}));
  EXPECT_EQ(owner("/c/x"), (owner_via{"c", 1})) << "what a advertised on the old link holds for the kept one";
  ASSERT_TRUE(view(1));
  EXPECT_TRUE(federation::routing_table::replicates(*view(1), "/b/x"))
      << "our updates go to a on the kept link before a advertised there";
  ASSERT_TRUE(view(2)) << "still open: what is in flight on it is accepted";
  EXPECT_FALSE(federation::routing_table::interested(*view(2), "/b/x"));
  EXPECT_FALSE(federation::routing_table::interested(*view(2), "/a/x"));
  auto peers = nlohmann::json::parse(ask<std::string>(manager_, peers_atom_v));
  ASSERT_EQ(peers.size(), 1u) << "one link to a is listed: " << peers.dump();
  EXPECT_EQ(peers[0]["outbound"], false);
  EXPECT_EQ(ask<std::vector<std::string>>(manager_, active_atom_v), strings{"a"});

  advertise(1, "c", {"/c/**"}, {"a", "c"}, 30);  // a's own advertisements on the kept link
  advertise(1, "b", {"/b/**"}, {"a", "b"}, 20);
  close(2);  // our link closes after its grace period
  EXPECT_EQ(owner("/c/x"), (owner_via{"c", 1}));
  EXPECT_TRUE(federation::routing_table::replicates(*view(1), "/b/x"));
  EXPECT_EQ(sessions_[2]->stand_downs.size(), 1u);
}

TEST_F(FederationManager, AStandingDownLinkTakesOverWhenTheKeptLinkClosesFirst) {
  start("b", {"/b/**"}, 20);
  upstream(2, "a", {"/a/**"}, 10);
  ASSERT_EQ(declare(1, "a", {"/a/**"}, 10, /*route_capable=*/true).error, 0);
  ASSERT_EQ(owner("/a/x"), (owner_via{"a", 1}));
  close(1);
  EXPECT_EQ(sessions_[2]->stand_downs, (std::vector<bool>{true, false})) << "revoked";
  EXPECT_EQ(owner("/a/x"), (owner_via{"a", 2}));
}

// Here we are "a", the smaller id: our link to "b" is the one kept, so the
// link b opened to us stands down at our end too, but b closes it.
TEST_F(FederationManager, TheirRedundantLinkStandsDownHereAndTheyCloseIt) {
  start("a", {"/a/**"}, 10);
  ASSERT_EQ(declare(1, "b", {"/b/**"}, 20, /*route_capable=*/true).error, 0);
  advertise(1, "a", {"/a/**"}, {"b", "a"}, 10);
  ASSERT_TRUE(federation::routing_table::replicates(*view(1), "/a/x"));
  upstream(2, "b", {"/b/**"}, 20);
  EXPECT_TRUE(sessions_[1]->stand_downs.empty()) << "b closes the link it opened";
  EXPECT_EQ(owner("/b/x"), (owner_via{"b", 2}));
  EXPECT_TRUE(federation::routing_table::replicates(*view(2), "/a/x"))
      << "b hears our updates on the kept link at once";
  EXPECT_FALSE(federation::routing_table::interested(*view(1), "/a/x"));
  close(1);
  EXPECT_EQ(owner("/b/x"), (owner_via{"b", 2}));
}

}  // namespace
}  // namespace clasp::actors
