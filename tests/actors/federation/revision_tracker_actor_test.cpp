// The revision tracker's decisions in virtual time: what each link is asked
// for when its plan arrives (in full, since the watermark, our own namespaces
// once per neighbour), when a link is told it has nothing to wait for, and the
// anti-entropy round each sync_interval.
#include <gtest/gtest.h>

#include "actors/federation/revision_tracker_actor.hpp"
#include "tests/actors/recording_actors.hpp"
#include "tests/actors/virtual_time.hpp"

namespace clasp::actors {
namespace {

using namespace std::chrono_literals;
using strings = std::vector<std::string>;

// One request_sync, for comparing.
struct asked {
  session_id_t link;
  strings patterns;
  bool full;
  bool operator==(const asked& o) const {
    return link == o.link && patterns == o.patterns && full == o.full;
  }
};

std::ostream& operator<<(std::ostream& os, const asked& a) {
  os << "{link " << a.link << (a.full ? ", full," : ", since watermark,");
  for (const auto& p : a.patterns) os << ' ' << p;
  return os << '}';
}

class RevisionTrackerActor : public clasp::testing::virtual_time {
 protected:
  void start(strings own, std::uint32_t sync_interval_ms = 30000) {
    auto store = keep(clasp::testing::spawn_recording_store(sys(), store_));
    // The tracker is spawned linked to its parent (the manager in the product).
    auto host = sys().spawn([=](caf::event_based_actor* self) -> caf::behavior {
      tracker_ = spawn_revision_tracker(self, store, own, sync_interval_ms);
      return {[](caf::ok_atom) {}};
    });
    keep(host);
    run();
    ASSERT_TRUE(tracker_);
    keep(tracker_);
    link_actor_ = keep(clasp::testing::spawn_recording_peer<federation_link_actor>(sys(), link_));
  }

  void plan(session_id_t link, std::string router, strings patterns, std::uint64_t claim_us = 100) {
    tell(tracker_, sync_plan{link, std::move(router), link_actor_, std::move(patterns), claim_us, false});
    run();
  }
  void closed(session_id_t link) {
    tell(tracker_, sync_plan{link, {}, {}, {}, 0, true});
    run();
  }

  // The requests made since the last call.
  std::vector<asked> take() {
    std::vector<asked> out;
    for (const auto& r : store_->syncs) out.push_back({r.id, r.patterns, r.full});
    store_->syncs.clear();
    return out;
  }

  std::shared_ptr<clasp::testing::store_log> store_ = std::make_shared<clasp::testing::store_log>();
  std::shared_ptr<clasp::testing::peer_log> link_ = std::make_shared<clasp::testing::peer_log>();
  revision_tracker_actor tracker_;
  federation_link_actor link_actor_;
};

TEST_F(RevisionTrackerActor, FirstLinkAsksInFullForWhatItLeadsToAndForOurOwnState) {
  start({"/site-a/**"});
  plan(1, "hub", {"/site-b/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{1, {"/site-b/**", "/site-a/**"}, true}}));
  EXPECT_EQ(link_->sync_done, 0u) << "it waits for the answer to what it asked";
}

TEST_F(RevisionTrackerActor, LinkWithNothingToSyncIsToldAtOnceAndOnlyOnce) {
  start({});  // a hub owns nothing
  plan(1, "leaf-b", {});
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(link_->sync_done, 1u);
  plan(1, "leaf-b", {});
  EXPECT_EQ(link_->sync_done, 1u);
}

TEST_F(RevisionTrackerActor, ReconnectAsksOnlySinceTheWatermarkAndOwnStateOncePerNeighbour) {
  start({"/site-a/**"});
  plan(1, "hub", {"/site-b/**"});
  take();
  closed(1);
  plan(2, "hub", {"/site-b/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{2, {"/site-b/**"}, false}}));
}

TEST_F(RevisionTrackerActor, RestartedRouterIsAskedInFullAgain) {
  start({"/site-a/**"});
  plan(1, "hub", {"/site-b/**"}, 100);
  take();
  closed(1);
  plan(2, "hub", {"/site-b/**"}, 200);  // a new claim time: it restarted, its changes renumbered
  EXPECT_EQ(take(), (std::vector<asked>{{2, {"/site-b/**"}, true}}));
}

TEST_F(RevisionTrackerActor, RouterThatDoesNotSayItsStartKeepsItsWatermark) {
  start({});
  plan(1, "other-hub", {"/x/**"}, 0);
  take();
  closed(1);
  plan(2, "other-hub", {"/x/**"}, 0);
  EXPECT_EQ(take(), (std::vector<asked>{{2, {"/x/**"}, false}}));
}

TEST_F(RevisionTrackerActor, PatternReachedLaterOrAgainIsAskedInFull) {
  start({});
  plan(1, "hub", {"/b/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{1, {"/b/**"}, true}}));
  plan(1, "hub", {"/b/**", "/c/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{1, {"/c/**"}, true}})) << "only what is new";
  plan(1, "hub", {"/b/**"});  // /c/** is now reached another way
  EXPECT_TRUE(take().empty());
  plan(1, "hub", {"/b/**", "/c/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{1, {"/c/**"}, true}}))
      << "the watermark moved on while /c/** came by another way";
}

TEST_F(RevisionTrackerActor, PatternSyncedFromTheRouterBeforeIsStillFullOnALaterBatch) {
  start({});
  plan(1, "hub", {"/b/**", "/c/**"});
  take();
  closed(1);
  plan(2, "hub", {"/b/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{2, {"/b/**"}, false}}));
  plan(2, "hub", {"/b/**", "/c/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{2, {"/c/**"}, true}}))
      << "after this link's first batch the watermark says nothing about /c/**";
}

TEST_F(RevisionTrackerActor, PatternThatLeftALinkIsFullOnTheNextLinkToTheSameRouter) {
  start({});
  plan(1, "hub", {"/b/**", "/c/**"});
  take();
  plan(1, "hub", {"/b/**"});  // /c/** is reached another way; the watermark moves on without it
  closed(1);
  plan(2, "hub", {"/b/**", "/c/**"});
  EXPECT_EQ(take(), (std::vector<asked>{{2, {"/b/**"}, false}, {2, {"/c/**"}, true}}))
      << "what hub took of /c/** while it was not our route there is behind its watermark";
}

TEST_F(RevisionTrackerActor, AntiEntropyEverySyncIntervalForEveryLinkThatLeadsSomewhere) {
  start({"/site-a/**"}, 30000);
  plan(1, "hub", {"/site-b/**"});
  plan(2, "leaf-c", {});
  plan(3, "leaf-d", {"/site-d/**"});
  take();
  advance(29999ms);
  EXPECT_TRUE(take().empty());
  advance(1ms);
  EXPECT_EQ(take(), (std::vector<asked>{{1, {"/site-b/**"}, false}, {3, {"/site-d/**"}, false}}))
      << "since the watermark, never our own namespaces, nothing for a link that leads nowhere";
  closed(3);
  advance(30s);
  EXPECT_EQ(take(), (std::vector<asked>{{1, {"/site-b/**"}, false}})) << "a closed link is forgotten";
  EXPECT_EQ(elapsed(), 60s);
}

TEST_F(RevisionTrackerActor, NoAntiEntropyWithoutASyncInterval) {
  start({}, 0);
  plan(1, "hub", {"/site-b/**"});
  take();
  advance(24h);
  EXPECT_TRUE(take().empty());
}

}  // namespace
}  // namespace clasp::actors
