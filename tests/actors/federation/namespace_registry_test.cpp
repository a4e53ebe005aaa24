// namespace_registry and the routing_table it builds: declaration limits,
// overlap refusal, declarations sent to peers, link loss, and the leaf side.
#include <gtest/gtest.h>

#include <algorithm>

#include "actors/federation/namespace_registry.hpp"

namespace clasp::federation {
namespace {

using strings = std::vector<std::string>;

template <class T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(NamespaceRegistry, AcceptsUpToOneThousandPatternsAndRefusesMoreWith400) {
  namespace_registry reg("hub", {});
  strings many;
  for (int i = 0; i < 1000; ++i) many.push_back("/p" + std::to_string(i) + "/**");
  EXPECT_FALSE(reg.declare_inbound("leaf-a", 10, many).has_value());
  many.push_back("/p1000/**");
  auto err = reg.declare_inbound("leaf-b", 20, {});
  EXPECT_FALSE(err.has_value());
  err = reg.declare_inbound("leaf-b", 20, many);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 400);
  EXPECT_NE(err->reason.find("1001"), std::string::npos) << err->reason;
}

TEST(NamespaceRegistry, RefusesAnInvalidPatternWith400) {
  namespace_registry reg("hub", {});
  for (const char* bad : {"a/**", "/a/b*", "", "/a//b"}) {
    auto err = reg.declare_inbound("leaf-a", 10, {"/ok/**", bad});
    ASSERT_TRUE(err.has_value()) << bad;
    EXPECT_EQ(err->code, 400) << bad;
  }
  EXPECT_TRUE(reg.peers().empty()) << "a refused declaration must not be recorded";
}

TEST(NamespaceRegistry, RefusesMissingOrOwnRouterId) {
  namespace_registry reg("hub", {});
  auto err = reg.declare_inbound("", 10, {"/a/**"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 400);
  err = reg.declare_inbound("hub", 10, {"/a/**"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 403);
}

TEST(NamespaceRegistry, RefusesOverlapWithAnotherConnectedPeerWith403) {
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/site-a/**"}));
  auto err = reg.declare_inbound("leaf-b", 20, {"/site-b/**", "/site-a/mixer/*"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 403);
  EXPECT_NE(err->reason.find("leaf-a"), std::string::npos) << err->reason;
  EXPECT_EQ(reg.peers().count("leaf-b"), 0u);
  EXPECT_FALSE(reg.declare_inbound("leaf-b", 20, {"/site-b/**"}));
}

TEST(NamespaceRegistry, RefusesOverlapWithItsOwnNamespaces) {
  namespace_registry reg("leaf", {"/mine/**"});
  auto err = reg.declare_inbound("other", 10, {"/**"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 403);
}

TEST(NamespaceRegistry, TheSameRouterReconnectingIsNotAnOverlap) {
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/site-a/**"}));
  // The old connection is still registered (half dead) when the new one declares.
  EXPECT_FALSE(reg.declare_inbound("leaf-a", 11, {"/site-a/**"}).has_value());
  EXPECT_EQ(reg.peers().at("leaf-a").link, 11u);
  // The old link finally closing must not disconnect the new one.
  reg.link_closed(10);
  EXPECT_EQ(reg.peers().at("leaf-a").link, 11u);
  auto table = reg.build();  // owner_lookup points into the table: keep it alive
  auto owner = table->owner_of("/site-a/x");
  ASSERT_EQ(owner.kind, owner_kind::remote);
  EXPECT_EQ(owner.ns->via, 11u);
}

TEST(NamespaceRegistry, ADisconnectedPeerDoesNotBlockAnOverlappingDeclaration) {
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/site/**"}));
  reg.link_closed(10);
  EXPECT_FALSE(reg.declare_inbound("leaf-b", 20, {"/site/**"}).has_value());
  // Now leaf-a coming back overlaps a connected peer.
  auto err = reg.declare_inbound("leaf-a", 30, {"/site/**"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 403);
}

TEST(NamespaceRegistry, WritesToATakenOverNamespaceRouteToTheConnectedOwner) {
  // "leaf-a" sorts before "leaf-z": the stale entry comes first in the table.
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/site/**"}));
  reg.link_closed(10);
  ASSERT_FALSE(reg.declare_inbound("leaf-z", 20, {"/site/**"}));
  auto table = reg.build();
  auto owner = table->owner_of("/site/x");
  ASSERT_EQ(owner.kind, owner_kind::remote);
  EXPECT_EQ(owner.ns->via, 20u)
      << "BUG: owner_of picks the disconnected former owner '" << owner.ns->owner
      << "' (via 0, writes get 501) although connected peer 'leaf-z' now owns the namespace";
}

TEST(NamespaceRegistry, ReDeclaringReplacesTheEarlierNamespaces) {
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/old/**"}));
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/new/**"}));
  auto table = reg.build();
  EXPECT_EQ(table->owner_of("/old/x").kind, owner_kind::none);
  EXPECT_EQ(table->owner_of("/new/x").kind, owner_kind::remote);
  // Another peer may now take the released namespace.
  EXPECT_FALSE(reg.declare_inbound("leaf-b", 20, {"/old/**"}).has_value());
}

TEST(NamespaceRegistry, ALinkReDeclaringUnderANewIdGivesUpTheOldIdentity) {
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("provisional", 10, {"/p/**"}));
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/a/**"}));
  EXPECT_EQ(reg.peers().at("provisional").link, 0u);
  EXPECT_EQ(reg.inbound_links(), std::vector<link_id_t>{10});
}

TEST(NamespaceRegistry, ALinkReDeclaringUnderANewIdDoesNotOverlapItself) {
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("provisional", 10, {"/a/**"}));
  auto err = reg.declare_inbound("leaf-a", 10, {"/a/**"});
  EXPECT_FALSE(err.has_value())
      << "BUG: the same link (10) re-declaring its namespaces under a new router id is refused as "
         "an overlap with its own former identity: "
      << (err ? std::to_string(err->code) + " " + err->reason : std::string());
}

TEST(NamespaceRegistry, DeclarationForIsEveryOtherKnownRoutersNamespaces) {
  namespace_registry reg("hub", {"/hub/**"});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/a/**"}));
  ASSERT_FALSE(reg.declare_inbound("leaf-b", 20, {"/b/**", "/b2"}));
  ASSERT_FALSE(reg.declare_inbound("leaf-c", 30, {"/c/**"}));
  EXPECT_EQ(sorted(reg.declaration_for(10)), (strings{"/b/**", "/b2", "/c/**", "/hub/**"}));
  EXPECT_EQ(sorted(reg.declaration_for(20)), (strings{"/a/**", "/c/**", "/hub/**"}));
  // A disconnected peer is still known: its namespaces stay in the declarations.
  reg.link_closed(30);
  EXPECT_EQ(sorted(reg.declaration_for(10)), (strings{"/b/**", "/b2", "/c/**", "/hub/**"}));
  EXPECT_EQ(sorted(reg.inbound_links()), (std::vector<link_id_t>{10, 20}));
}

TEST(NamespaceRegistry, LinkClosedKeepsNamespacesButMakesThemUnreachable) {
  namespace_registry reg("hub", {});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/a/**"}));
  ASSERT_FALSE(reg.declare_inbound("leaf-b", 20, {"/b/**"}));
  reg.link_closed(10);
  auto table = reg.build();
  auto owner = table->owner_of("/a/x");
  ASSERT_EQ(owner.kind, owner_kind::remote);
  EXPECT_EQ(owner.ns->owner, "leaf-a");
  EXPECT_EQ(owner.ns->via, 0u);
  EXPECT_EQ(table->link(10), nullptr) << "a closed link must not receive fan-out";
  ASSERT_NE(table->link(20), nullptr);
  EXPECT_EQ(reg.peers().at("leaf-a").namespaces, strings{"/a/**"});
}

TEST(NamespaceRegistry, BuildGivesOwnershipAndInterest) {
  namespace_registry reg("hub", {"/hub/**"});
  ASSERT_FALSE(reg.declare_inbound("leaf-a", 10, {"/a/**"}));
  ASSERT_FALSE(reg.declare_inbound("leaf-b", 20, {"/b/**"}));
  auto table = reg.build();
  EXPECT_EQ(table->self_id, "hub");
  EXPECT_EQ(table->owner_of("/hub/x").kind, owner_kind::self);
  EXPECT_EQ(table->owner_of("/nobody/x").kind, owner_kind::none);
  auto a = table->owner_of("/a/deep/x");
  ASSERT_EQ(a.kind, owner_kind::remote);
  EXPECT_EQ(a.ns->owner, "leaf-a");
  EXPECT_EQ(a.ns->via, 10u);
  EXPECT_EQ(a.ns->pattern, "/a/**");

  const auto* la = table->link(10);
  ASSERT_NE(la, nullptr);
  EXPECT_EQ(la->router_id, "leaf-a");
  // A link wants its own namespace (write requests) and everything reachable through us.
  EXPECT_TRUE(routing_table::interested(*la, "/a/x"));
  EXPECT_TRUE(routing_table::interested(*la, "/b/x"));
  EXPECT_TRUE(routing_table::interested(*la, "/hub/x"));
  EXPECT_FALSE(routing_table::interested(*la, "/nobody/x"));
  EXPECT_TRUE(routing_table::covers(*la, "/b/**"));
  EXPECT_TRUE(routing_table::covers(*la, "/b/x/*"));
  EXPECT_TRUE(routing_table::covers(*la, "/a/x"));
  EXPECT_FALSE(routing_table::covers(*la, "/**"));
  EXPECT_FALSE(routing_table::covers(*la, "/nobody/**"));
  EXPECT_EQ(table->link(99), nullptr);
}

TEST(NamespaceRegistry, LeafSideRoutesRemoteNamespacesThroughItsUpstream) {
  namespace_registry reg("leaf-a", {"/a/**"});
  reg.attach_upstream("hub", 7);
  auto table = reg.build();
  const auto* up = table->link(7);
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->router_id, "hub");
  EXPECT_TRUE(routing_table::interested(*up, "/a/x")) << "the hub must receive our own updates";
  EXPECT_FALSE(routing_table::interested(*up, "/b/x"));
  EXPECT_EQ(table->owner_of("/b/x").kind, owner_kind::none);

  reg.declare_upstream("hub", 7, {"/b/**", "/c/**", "not a pattern"});
  table = reg.build();
  auto b = table->owner_of("/b/x");
  ASSERT_EQ(b.kind, owner_kind::remote);
  EXPECT_EQ(b.ns->via, 7u);
  EXPECT_EQ(table->owner_of("/a/x").kind, owner_kind::self);
  up = table->link(7);
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(routing_table::interested(*up, "/c/y"));
  EXPECT_TRUE(reg.inbound_links().empty()) << "an upstream link is not inbound";

  reg.link_closed(7);
  table = reg.build();
  EXPECT_EQ(table->link(7), nullptr);
  b = table->owner_of("/b/x");
  ASSERT_EQ(b.kind, owner_kind::remote);
  EXPECT_EQ(b.ns->via, 0u);
}

// One of our routers that just declared has not advertised its route to us
// yet; no path to us is shorter than the direct link, so our own updates go to
// it from the start (a leaf reports Active before the hub's advert arrives).
TEST(NamespaceRegistry, ADirectNeighbourGetsOurUpdatesBeforeItsAdvertAboutUs) {
  namespace_registry reg("leaf-a", {"/a/**"});
  reg.attach_upstream("hub", 7);
  reg.declare_upstream("hub", 7, {}, neighbour_hello{true, 100});
  auto table = reg.build();
  const auto* up = table->link(7);
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(routing_table::interested(*up, "/a/x"));
  EXPECT_TRUE(routing_table::replicates(*up, "/a/x"));

  // Its advert says it reaches us another way (it is not our child): no more.
  ASSERT_FALSE(reg.advertise(7, route_advert{"leaf-a", {"/a/**"}, {"hub", "relay", "leaf-a"}, 50}));
  table = reg.build();
  up = table->link(7);
  ASSERT_NE(up, nullptr);
  EXPECT_FALSE(routing_table::replicates(*up, "/a/x"));
}

TEST(NamespaceRegistry, DeclareUpstreamReplacesAProvisionalId) {
  namespace_registry reg("leaf-a", {"/a/**"});
  reg.attach_upstream("ws://hub:7330", 7);
  reg.declare_upstream("hub-id", 7, {"/b/**"});
  auto table = reg.build();
  ASSERT_EQ(table->links.size(), 1u);
  EXPECT_EQ(table->links[0].router_id, "hub-id");
}

TEST(RoutingTable, OwnNamespacesWinOverRemoteOnes) {
  routing_table t;
  t.own = {"/a/**"};
  t.remote.push_back({"/**", "other", 5});
  EXPECT_EQ(t.owner_of("/a/x").kind, owner_kind::self);
  EXPECT_EQ(t.owner_of("/b/x").kind, owner_kind::remote);
  EXPECT_EQ(routing_table{}.owner_of("/x").kind, owner_kind::none);
}

}  // namespace
}  // namespace clasp::federation
