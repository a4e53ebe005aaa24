// router_core, who may keep a write: a router that connects out refuses
// writes outside its namespaces until a neighbour has told it who owns what,
// and a value it wrote while it did not know an address's owner gives way to
// the owner's, whatever the revisions say.
#include <gtest/gtest.h>

#include "actors/federation/namespace_registry.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

using federation::namespace_registry;

constexpr router::session_id_t client = 1;
constexpr router::session_id_t hub_link = 10;  // our link to the hub

class RouterCoreOwnership : public router_core_test {
 protected:
  RouterCoreOwnership() : router_core_test(leaf_config()) {}
  static router::router_config leaf_config() {
    auto cfg = config();
    cfg.router_id = "site-a";
    return cfg;
  }
  void SetUp() override {
    attach(client);
    attach(hub_link, "hub-link");
    core_.mark_link(hub_link, "hub");
    registry_.await_first_neighbour();
    core_.set_routing(registry_.build());
    clear_all();
  }
  // The hub (one of ours) declares and says site-b owns /b/**.
  void hub_declares_site_b() {
    federation::neighbour_hello hello;
    hello.route_capable = true;
    registry_.declare_upstream("hub", hub_link, {}, hello);
    federation::route_advert advert{"site-b", {"/b/**"}, {"hub", "site-b"}, 1};
    ASSERT_FALSE(registry_.advertise(hub_link, advert));
    core_.set_routing(registry_.build());
  }
  namespace_registry registry_{"site-a", {"/a/**"}};
};

TEST_F(RouterCoreOwnership, BeforeAnyNeighbourDeclaredWritesOutsideOurNamespacesAre501) {
  send(client, set("/b/x", 1));
  EXPECT_EQ(only_error(conn(client)).code, error_code::unavailable);
  EXPECT_EQ(core_.params().find("/b/x"), nullptr) << "not kept locally";

  conn(client).clear();
  send(client, set("/a/x", 1));
  EXPECT_TRUE(conn(client).all<msg::error>().empty()) << "our own namespace is always writable";
  EXPECT_NE(core_.params().find_live("/a/x"), nullptr);
}

TEST_F(RouterCoreOwnership, OnceTheHubDeclaredUnownedAddressesStayLocalAndOwnedOnesAreForwarded) {
  hub_declares_site_b();
  send(client, set("/scratch/x", 1));
  EXPECT_TRUE(conn(client).all<msg::error>().empty());
  EXPECT_NE(core_.params().find_live("/scratch/x"), nullptr) << "addresses no router owns stay local";

  send(client, set("/b/x", 2));
  EXPECT_EQ(core_.params().find("/b/x"), nullptr) << "forwarded to its owner, not applied here";
  EXPECT_FALSE(conn(hub_link).all<msg::set>().empty());
}

TEST_F(RouterCoreOwnership, RememberedPeersMeanOwnershipIsKnownAtStart) {
  namespace_registry restored{"site-a", {"/a/**"}};
  restored.remember("site-b", {"/b/**"});
  restored.await_first_neighbour();
  core_.set_routing(restored.build());
  send(client, set("/scratch/x", 1));
  EXPECT_TRUE(conn(client).all<msg::error>().empty());
  EXPECT_NE(core_.params().find_live("/scratch/x"), nullptr);
}

TEST_F(RouterCoreOwnership, AValueWrittenHereBeforeTheOwnerWasKnownGivesWayToTheOwners) {
  // As if this router were a hub that took a local write before the owner came back.
  namespace_registry open_registry{"site-a", {"/a/**"}};
  core_.set_routing(open_registry.build());
  send(client, set("/b/x", "local"));
  const auto* mine = core_.params().find_live("/b/x");
  ASSERT_NE(mine, nullptr);
  const auto local_rev = mine->revision;

  hub_declares_site_b();
  // The owner's value numbers below ours (it started earlier): it still wins.
  send(hub_link, set("/b/x", "owner", 7), codec::qos::fire);
  const auto* now = core_.params().find_live("/b/x");
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->val, value("owner"));
  EXPECT_EQ(now->revision, 7u);
  EXPECT_LT(now->revision, local_rev);

  // From then on the usual rule: an older revision is ignored.
  send(hub_link, set("/b/x", "stale", 6), codec::qos::fire);
  EXPECT_EQ(core_.params().find_live("/b/x")->val, value("owner"));
}

// Our routers always number their updates, so an un-numbered SET from one of
// them on the link towards the owner is a write request whose route points
// back (routes are moving): refused, never numbered here.
TEST_F(RouterCoreOwnership, AWriteRequestComingBackFromTheOwnersSideIsRefusedNotNumbered) {
  hub_declares_site_b();
  send(hub_link, set("/b/x", 1), codec::qos::confirm);
  EXPECT_EQ(only_error(conn(hub_link)).code, error_code::unavailable);
  EXPECT_EQ(core_.params().find("/b/x"), nullptr);
}

}  // namespace
}  // namespace clasp::testing
