// sync_limit_violation: the FEDERATION_SYNC count limits, whatever the op.
#include <gtest/gtest.h>

#include "actors/federation/sync_limits.hpp"

namespace clasp::federation {
namespace {

msg::federation_sync with(federation_op op, std::size_t patterns, std::size_t entries) {
  msg::federation_sync m;
  m.op = op;
  for (std::size_t i = 0; i < patterns; ++i)
    m.patterns.push_back("/p/" + std::to_string(i) + "/**");
  for (std::size_t i = 0; i < entries; ++i) m.revisions.emplace_back("/r/" + std::to_string(i), 1);
  return m;
}

TEST(SyncLimits, AtTheLimitsNothingIsReported) {
  for (auto op : {federation_op::declare_namespaces, federation_op::request_sync,
                  federation_op::revision_vector, federation_op::sync_complete})
    EXPECT_FALSE(sync_limit_violation(with(op, 1000, 10000)).has_value()) << static_cast<int>(op);
}

TEST(SyncLimits, OnePatternOrEntryTooManyIsReportedForEveryOp) {
  for (auto op : {federation_op::declare_namespaces, federation_op::request_sync,
                  federation_op::revision_vector, federation_op::sync_complete}) {
    auto patterns = sync_limit_violation(with(op, 1001, 0));
    ASSERT_TRUE(patterns.has_value()) << static_cast<int>(op);
    EXPECT_NE(patterns->find("1001"), std::string::npos) << *patterns;
    auto entries = sync_limit_violation(with(op, 1, 10001));
    ASSERT_TRUE(entries.has_value()) << static_cast<int>(op);
    EXPECT_NE(entries->find("10001"), std::string::npos) << *entries;
  }
}

}  // namespace
}  // namespace clasp::federation
