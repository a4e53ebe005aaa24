// subscription_table: exact, wildcard and leading-wildcard patterns, type masks and removal.
#include <gtest/gtest.h>

#include <algorithm>

#include "actors/router/subscription_table.hpp"
#include "messages/messages.hpp"

namespace clasp::router {
namespace {

// Matching sessions, sorted, one entry per matching subscription.
std::vector<session_id_t> matches(const subscription_table& t, std::string_view address,
                                  std::uint8_t bit = type_mask::param) {
  std::vector<session_id_t> out;
  t.for_each_match(address, bit, [&](session_id_t s) { out.push_back(s); });
  std::sort(out.begin(), out.end());
  return out;
}

using ids = std::vector<session_id_t>;

TEST(SubscriptionTable, ExactPatternMatchesOnlyItsAddress) {
  subscription_table t;
  t.add({1, 1, "/a/b", type_mask::all});
  EXPECT_EQ(matches(t, "/a/b"), ids{1});
  EXPECT_EQ(matches(t, "/a/b/c"), ids{});
  EXPECT_EQ(matches(t, "/a"), ids{});
  EXPECT_EQ(matches(t, "/a/bc"), ids{});
}

TEST(SubscriptionTable, SingleAndMultiSegmentWildcards) {
  subscription_table t;
  t.add({1, 1, "/a/*", type_mask::all});
  t.add({2, 1, "/a/**", type_mask::all});
  t.add({3, 1, "/a/*/c", type_mask::all});
  EXPECT_EQ(matches(t, "/a/b"), (ids{1, 2}));
  EXPECT_EQ(matches(t, "/a/b/c"), (ids{2, 3}));
  EXPECT_EQ(matches(t, "/a/b/c/d"), ids{2});
  EXPECT_EQ(matches(t, "/b/x"), ids{});
  EXPECT_EQ(matches(t, "/ab/x"), ids{});
}

TEST(SubscriptionTable, LeadingWildcardPatternsMatchEveryFirstSegment) {
  subscription_table t;
  t.add({1, 1, "/**", type_mask::all});
  t.add({2, 1, "/*/volume", type_mask::all});
  t.add({3, 1, "/**/volume", type_mask::all});
  EXPECT_EQ(matches(t, "/x"), ids{1});
  EXPECT_EQ(matches(t, "/mixer/volume"), (ids{1, 2, 3}));
  EXPECT_EQ(matches(t, "/a/b/volume"), (ids{1, 3}));
  EXPECT_EQ(matches(t, "/a/b/gain"), ids{1});
}

TEST(SubscriptionTable, TypeMaskFiltersBySignalType) {
  subscription_table t;
  t.add({1, 1, "/a/**", type_mask::param});
  t.add({2, 1, "/a/**", type_mask::event | type_mask::stream});
  t.add({3, 1, "/a/x", type_mask::all});
  EXPECT_EQ(matches(t, "/a/x", type_mask::param), (ids{1, 3}));
  EXPECT_EQ(matches(t, "/a/x", type_mask::event), (ids{2, 3}));
  EXPECT_EQ(matches(t, "/a/x", type_mask::stream), (ids{2, 3}));
  EXPECT_EQ(matches(t, "/a/x", type_mask::gesture), ids{3});
}

TEST(SubscriptionTable, OverlappingSubscriptionsAreReportedOncePerSubscription) {
  subscription_table t;
  t.add({1, 1, "/a/**", type_mask::all});
  t.add({1, 2, "/a/x", type_mask::all});
  t.add({1, 3, "/**", type_mask::all});
  EXPECT_EQ(matches(t, "/a/x"), (ids{1, 1, 1}));
  EXPECT_EQ(t.count(1), 3u);
}

TEST(SubscriptionTable, AddingTheSameIdReplacesTheSubscription) {
  subscription_table t;
  t.add({1, 7, "/a/**", type_mask::all});
  t.add({1, 7, "/b", type_mask::all});
  EXPECT_EQ(t.count(1), 1u);
  EXPECT_EQ(matches(t, "/a/x"), ids{});
  EXPECT_EQ(matches(t, "/b"), ids{1});
  t.add({1, 7, "/**", type_mask::all});
  EXPECT_EQ(t.count(1), 1u);
  EXPECT_EQ(matches(t, "/b"), ids{1});
}

TEST(SubscriptionTable, RemoveTakesOnlyThatSessionsSubscriptionFromAnyIndex) {
  subscription_table t;
  t.add({1, 1, "/a/x", type_mask::all});
  t.add({1, 2, "/a/*", type_mask::all});
  t.add({1, 3, "/*/x", type_mask::all});
  t.add({2, 1, "/a/x", type_mask::all});
  EXPECT_TRUE(t.remove(1, 3));
  EXPECT_EQ(matches(t, "/a/x"), (ids{1, 1, 2}));
  EXPECT_TRUE(t.remove(1, 1));
  EXPECT_EQ(matches(t, "/a/x"), (ids{1, 2}));
  EXPECT_TRUE(t.remove(1, 2));
  EXPECT_EQ(matches(t, "/a/x"), ids{2});
  EXPECT_FALSE(t.remove(1, 2));
  EXPECT_FALSE(t.remove(9, 1));
  EXPECT_EQ(t.count(1), 0u);
  EXPECT_EQ(t.count(2), 1u);
}

TEST(SubscriptionTable, RemoveSessionDropsEverySubscriptionOfThatSession) {
  subscription_table t;
  t.add({1, 1, "/a/x", type_mask::all});
  t.add({1, 2, "/a/**", type_mask::all});
  t.add({1, 3, "/**", type_mask::all});
  t.add({2, 1, "/**", type_mask::all});
  t.remove_session(1);
  EXPECT_EQ(t.count(1), 0u);
  EXPECT_EQ(matches(t, "/a/x"), ids{2});
  t.remove_session(2);
  EXPECT_EQ(matches(t, "/a/x"), ids{});
  t.remove_session(3);  // unknown: harmless
}

TEST(SubscriptionTable, FirstSegment) {
  EXPECT_EQ(first_segment("/a/b"), "a");
  EXPECT_EQ(first_segment("/a"), "a");
  EXPECT_EQ(first_segment("/**"), "**");
  EXPECT_EQ(first_segment("/"), "");
}

}  // namespace
}  // namespace clasp::router
