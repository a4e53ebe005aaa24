// Splitting snapshots and revision vectors: every part fits, nothing is lost,
// order is kept, and entries that can never fit are reported.
#include <gtest/gtest.h>

#include "messages/codec.hpp"

namespace clasp {
namespace {

using namespace codec;

std::vector<param_entry> many_params(std::size_t n) {
  std::vector<param_entry> out;
  for (std::size_t i = 0; i < n; ++i) {
    param_entry p;
    p.address = "/site/" + std::string(40, 'a') + "/param/" + std::to_string(i);
    p.val = (i % 3 == 0) ? value("value-" + std::to_string(i)) : value(static_cast<double>(i));
    p.revision = i + 1;
    if (i % 2) p.writer = "writer";
    if (i % 5) p.timestamp = i;
    out.push_back(std::move(p));
  }
  return out;
}

TEST(SplitSnapshot, PartsFitAndHoldEverythingInOrder) {
  for (std::size_t limit : {max_payload, std::size_t{1000}, std::size_t{200}}) {
    SCOPED_TRACE(limit);
    const auto params = many_params(5000);
    std::vector<std::string> oversized;
    auto parts = split_snapshot(params, limit, &oversized);
    EXPECT_TRUE(oversized.empty());
    ASSERT_GT(parts.size(), 1u);
    std::vector<param_entry> joined;
    for (const auto& part : parts) {
      EXPECT_FALSE(part.params.empty());
      EXPECT_LE(encoded_size(part), limit);
      joined.insert(joined.end(), part.params.begin(), part.params.end());
    }
    EXPECT_EQ(joined, params);
  }
}

TEST(SplitSnapshot, PartsAreFullBeforeANewOneStarts) {
  auto parts = split_snapshot(many_params(5000));
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    // The first entry of the next part would not have fitted.
    message with_next = parts[i];
    with_next.as<msg::snapshot>().params.push_back(parts[i + 1].params.front());
    EXPECT_GT(encoded_size(with_next), max_payload);
  }
}

TEST(SplitSnapshot, OversizedEntriesAreSkippedAndReported) {
  auto params = many_params(3);
  param_entry huge;
  huge.address = "/huge";
  huge.val = std::string(70000, 'z');
  params.insert(params.begin() + 1, huge);
  std::vector<std::string> oversized;
  auto parts = split_snapshot(params, max_payload, &oversized);
  EXPECT_EQ(oversized, std::vector<std::string>{"/huge"});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].params.size(), 3u);
  EXPECT_TRUE(split_snapshot({}).empty());
}

TEST(SplitRevisionVector, PartsFitRespectMaxEntriesAndCarryTheProto) {
  msg::federation_sync proto{federation_op::revision_vector,
                             {"/site-a/**", "/x/*"},
                             {},
                             std::uint64_t{17},
                             std::string("router-a")};
  std::vector<std::pair<std::string, revision_t>> revisions;
  for (std::size_t i = 0; i < 30000; ++i)
    revisions.emplace_back("/site-a/" + std::to_string(i), i * 7);
  for (std::size_t max_entries : {std::size_t{10000}, std::size_t{100}}) {
    SCOPED_TRACE(max_entries);
    auto parts = split_revision_vector(proto, revisions, max_payload, max_entries);
    ASSERT_GE(parts.size(), 3u);
    std::vector<std::pair<std::string, revision_t>> joined;
    for (const auto& part : parts) {
      EXPECT_LE(encoded_size(part), max_payload);
      EXPECT_LE(part.revisions.size(), max_entries);
      EXPECT_EQ(part.op, proto.op);
      EXPECT_EQ(part.patterns, proto.patterns);
      EXPECT_EQ(part.origin, proto.origin);
      EXPECT_EQ(part.since_revision, proto.since_revision);
      joined.insert(joined.end(), part.revisions.begin(), part.revisions.end());
    }
    EXPECT_EQ(joined, revisions);
  }
}

TEST(SplitRevisionVector, SmallLimitAndEmptyInput) {
  msg::federation_sync proto{federation_op::revision_vector, {}, {}, std::nullopt, std::nullopt};
  std::vector<std::pair<std::string, revision_t>> revisions;
  for (int i = 0; i < 50; ++i) revisions.emplace_back("/a/" + std::to_string(i), i);
  auto parts = split_revision_vector(proto, revisions, 100);
  ASSERT_GT(parts.size(), 5u);
  std::size_t total = 0;
  for (const auto& p : parts) {
    EXPECT_LE(encoded_size(p), 100u);
    total += p.revisions.size();
  }
  EXPECT_EQ(total, revisions.size());
  auto empty = split_revision_vector(proto, {});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_TRUE(empty[0].revisions.empty());
}

}  // namespace
}  // namespace clasp
