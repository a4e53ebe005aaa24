// backoff_delay: exponential from the initial delay, capped, with bounded jitter.
#include <gtest/gtest.h>

#include "actors/federation/backoff.hpp"

namespace clasp::federation {
namespace {

using std::chrono::milliseconds;

backoff_policy policy() {
  backoff_policy p;
  p.initial = milliseconds(100);
  p.cap = milliseconds(1000);
  p.jitter = 0.25;
  return p;
}

TEST(Backoff, DoublesFromTheInitialDelayWithoutJitter) {
  auto p = policy();
  EXPECT_EQ(backoff_delay(p, 1, 0.0), milliseconds(100));
  EXPECT_EQ(backoff_delay(p, 2, 0.0), milliseconds(200));
  EXPECT_EQ(backoff_delay(p, 3, 0.0), milliseconds(400));
  EXPECT_EQ(backoff_delay(p, 4, 0.0), milliseconds(800));
}

TEST(Backoff, IsCappedForLateAttempts) {
  auto p = policy();
  EXPECT_EQ(backoff_delay(p, 5, 0.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(p, 64, 0.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(p, 0xFFFFFFFFu, 0.0), milliseconds(1000));
  EXPECT_LT(backoff_delay(p, 0xFFFFFFFFu, 0.9999), milliseconds(1250));
}

TEST(Backoff, JitterStaysWithinItsBounds) {
  auto p = policy();
  for (std::uint32_t attempt = 1; attempt <= 8; ++attempt) {
    const auto base = backoff_delay(p, attempt, 0.0);
    for (double r : {0.0, 0.1, 0.5, 0.9, 0.999999, 1.0, 7.0, -3.0}) {
      const auto d = backoff_delay(p, attempt, r);
      EXPECT_GE(d, base) << "attempt " << attempt << " r " << r;
      EXPECT_LE(d.count(), static_cast<long long>(base.count() * 1.25))
          << "attempt " << attempt << " r " << r;
    }
  }
  // Jitter actually spreads the delays.
  EXPECT_EQ(backoff_delay(p, 1, 0.5), milliseconds(112));
  EXPECT_GT(backoff_delay(p, 3, 0.9), backoff_delay(p, 3, 0.1));
}

TEST(Backoff, DefaultPolicyStartsAtFiveSecondsAndCapsAtOneMinute) {
  backoff_policy p;
  EXPECT_EQ(backoff_delay(p, 1, 0.0), milliseconds(5000));
  EXPECT_EQ(backoff_delay(p, 2, 0.0), milliseconds(10000));
  EXPECT_EQ(backoff_delay(p, 10, 0.0), milliseconds(60000));
}

TEST(Backoff, ACapBelowTheInitialDelayDoesNotShortenIt) {
  auto p = policy();
  p.cap = milliseconds(10);
  EXPECT_EQ(backoff_delay(p, 1, 0.0), milliseconds(100));
  EXPECT_EQ(backoff_delay(p, 5, 0.0), milliseconds(100));
}

TEST(Backoff, ZeroJitterIsExact) {
  auto p = policy();
  p.jitter = 0.0;
  EXPECT_EQ(backoff_delay(p, 2, 0.99), milliseconds(200));
}

}  // namespace
}  // namespace clasp::federation
