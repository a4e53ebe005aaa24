// Address/pattern validation, matching, coverage and overlap: the required
// tables, plus a brute-force cross-check over a small alphabet.
#include <gtest/gtest.h>

#include <functional>

#include "messages/address.hpp"

namespace clasp {
namespace {

TEST(Address, Validation) {
  for (const char* ok : {"/", "/a", "/a/b", "/a/b/", "/a-b/c_d/1.5", "/ü/x"})
    EXPECT_TRUE(is_valid_address(ok)) << ok;
  for (const char* bad :
       {"", "a", "a/b", "//", "/a//b", "/a//", "/*", "/a/*", "/a/**", "/a*", "/a/b*c"})
    EXPECT_FALSE(is_valid_address(bad)) << bad;
}

TEST(Pattern, Validation) {
  for (const char* ok : {"/", "/a", "/*", "/**", "/a/*/c", "/a/**", "/**/x", "/a/b/"})
    EXPECT_TRUE(is_valid_pattern(ok)) << ok;
  for (const char* bad : {"", "*", "a/*", "/a*", "/*a", "/a/***", "/a//*", "/a/b*/c", "//**"})
    EXPECT_FALSE(is_valid_pattern(bad)) << bad;
  EXPECT_TRUE(is_pattern_with_wildcards("/a/*"));
  EXPECT_TRUE(is_pattern_with_wildcards("/**"));
  EXPECT_FALSE(is_pattern_with_wildcards("/a/b"));
}

TEST(Pattern, Matching) {
  struct row {
    const char* pattern;
    const char* address;
    bool match;
  };
  const row rows[] = {
      {"/a/b", "/a/b", true},          {"/a/b", "/a/c", false},
      {"/a/b", "/a/b/c", false},       {"/a/*", "/a/b", true},
      {"/a/*", "/a", false},           {"/a/*", "/a/b/c", false},
      {"/a/**", "/a", true},           {"/a/**", "/a/b", true},
      {"/a/**", "/a/b/c/d", true},     {"/a/**", "/ab", false},
      {"/a/**", "/b/a", false},        {"/**", "/x", true},
      {"/**", "/x/y/z", true},         {"/*/x", "/a/x", true},
      {"/*/x", "/a/y", false},         {"/**/x", "/x", true},
      {"/**/x", "/a/b/x", true},       {"/**/x", "/a/b/x/y", false},
      {"/a/**/z", "/a/z", true},       {"/a/**/z", "/a/b/c/z", true},
      {"/a/**/z", "/a/b/c", false},    {"/*/*", "/a/b", true},
      {"/*/*", "/a", false},           {"/a/**/b/**/c", "/a/x/b/y/b/c", true},
      {"/a/**/b/*", "/a/b/b/b", true}, {"/a/*/c/**", "/a/x/c/d", true},
  };
  for (const auto& r : rows)
    EXPECT_EQ(pattern_matches(r.pattern, r.address), r.match) << r.pattern << " vs " << r.address;
}

// "<prefix>/**" takes a prefix-test shortcut; "<prefix>/**/**" means the same
// and takes the general segment walk, so the two must always agree.
TEST(Pattern, PrefixShortcutAgreesWithTheSegmentWalk) {
  const char* prefixes[] = {"", "/a", "/a/b", "/site-a", "/site-a/bench"};
  const char* addresses[] = {"/", "/a", "/a/", "/ab", "/a/b", "/a/bc", "/a/b/c", "/b/a",
                             "/site-a", "/site-ab/x", "/site-a/bench/7", "/site-a/benchx", "a/b", ""};
  for (const char* prefix : prefixes)
    for (const char* address : addresses) {
      const std::string shortcut = std::string(prefix) + "/**";
      const std::string walked = std::string(prefix) + "/**/**";
      EXPECT_EQ(pattern_matches(shortcut, address), pattern_matches(walked, address))
          << shortcut << " vs '" << address << "'";
    }
}

TEST(Pattern, CoveredByRequiredCases) {
  EXPECT_TRUE(covered_by("/a/b/**", "/a/**"));
  EXPECT_FALSE(covered_by("/a/**", "/a/*"));
  EXPECT_TRUE(covered_by("/a/x/c/d", "/a/*/c/**"));
  for (const char* any : {"/a", "/a/b/c", "/*", "/**", "/a/**/b", "/*/*/**"})
    EXPECT_TRUE(covered_by(any, "/**")) << any;
  EXPECT_TRUE(covered_by("/a/b", "/a/b"));
  EXPECT_FALSE(covered_by("/a/c", "/a/b"));
  EXPECT_FALSE(covered_by("/a/*", "/a/b"));
  EXPECT_FALSE(covered_by("/a/**", "/a/b"));
  EXPECT_TRUE(covered_by("/a/*", "/a/**"));
  EXPECT_TRUE(covered_by("/a/**", "/a/**"));
  EXPECT_TRUE(covered_by("/a", "/a/**"));
  EXPECT_FALSE(covered_by("/b/**", "/a/**"));
  EXPECT_FALSE(covered_by("/**", "/a/**"));
  EXPECT_TRUE(covered_by("/*/**", "/**/*"));  // both mean "one or more segments"
}

TEST(Pattern, OverlapRequiredCases) {
  EXPECT_TRUE(patterns_overlap("/a/**", "/a/b/*"));
  EXPECT_FALSE(patterns_overlap("/site-a/**", "/site-b/**"));
  EXPECT_TRUE(patterns_overlap("/*/x", "/a/*"));
  EXPECT_TRUE(patterns_overlap("/**", "/anything/at/all"));
  EXPECT_FALSE(patterns_overlap("/a/*", "/a/b/c"));
  EXPECT_TRUE(patterns_overlap("/a/b", "/a/b"));
  EXPECT_FALSE(patterns_overlap("/a/b", "/a/c"));
  EXPECT_FALSE(patterns_overlap("/*/x", "/*/y"));
  EXPECT_TRUE(patterns_overlap("/**/x", "/a/**"));
}

// All patterns of 1-3 segments over {a, b, *, **}, checked against the set of
// all addresses of 1-5 segments over {a, b, c} ("c" stands for any other name).
TEST(Pattern, CoverageAndOverlapAgreeWithBruteForce) {
  const std::vector<std::string> tokens = {"a", "b", "*", "**"};
  std::vector<std::string> patterns;
  std::function<void(std::string, int)> grow_p = [&](std::string prefix, int left) {
    if (!prefix.empty()) patterns.push_back(prefix);
    if (left == 0) return;
    for (const auto& t : tokens) grow_p(prefix + "/" + t, left - 1);
  };
  grow_p("", 3);
  std::vector<std::string> addresses;
  std::function<void(std::string, int)> grow_a = [&](std::string prefix, int left) {
    if (!prefix.empty()) addresses.push_back(prefix);
    if (left == 0) return;
    for (const char* s : {"a", "b", "c"}) grow_a(prefix + "/" + s, left - 1);
  };
  grow_a("", 5);

  std::vector<std::vector<bool>> matches(patterns.size());
  for (std::size_t i = 0; i < patterns.size(); ++i)
    for (const auto& a : addresses) matches[i].push_back(pattern_matches(patterns[i], a));

  for (std::size_t r = 0; r < patterns.size(); ++r) {
    for (std::size_t d = 0; d < patterns.size(); ++d) {
      bool covered = true, overlap = false;
      for (std::size_t k = 0; k < addresses.size(); ++k) {
        if (matches[r][k] && !matches[d][k]) covered = false;
        if (matches[r][k] && matches[d][k]) overlap = true;
      }
      ASSERT_EQ(covered_by(patterns[r], patterns[d]), covered)
          << patterns[r] << " covered by " << patterns[d];
      ASSERT_EQ(patterns_overlap(patterns[r], patterns[d]), overlap)
          << patterns[r] << " overlaps " << patterns[d];
    }
  }
}

TEST(Pattern, HugePatternsStayCheap) {
  std::string p, q;
  for (int i = 0; i < 10000; ++i) {
    p += "/**/a";
    q += "/*/**";
  }
  // Conservative answers instead of a quadratic blow-up.
  EXPECT_FALSE(covered_by(p, q));
  EXPECT_TRUE(patterns_overlap(p, q));
  EXPECT_FALSE(pattern_matches(p, "/b"));
}

}  // namespace
}  // namespace clasp
