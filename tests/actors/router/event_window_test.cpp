// event_window: the first copy of each (origin, seq) passes, later ones and
// our own events do not, and the ring forgets only what fell out of its span.
#include "actors/router/event_window.hpp"

#include <gtest/gtest.h>

namespace clasp::router {
namespace {

constexpr std::uint64_t self = 1;
constexpr std::uint64_t a = 2;
constexpr std::uint64_t b = 3;

TEST(EventWindow, TheFirstCopyPassesAndASecondDoesNot) {
  event_window w(self);
  EXPECT_TRUE(w.first_sight({a, 10}));
  EXPECT_FALSE(w.first_sight({a, 10}));
  EXPECT_TRUE(w.first_sight({b, 10})) << "another origin numbers on its own";
  EXPECT_TRUE(w.first_sight({a, 11}));
}

TEST(EventWindow, OurOwnEventsNeverComeBackIn) {
  event_window w(self);
  EXPECT_FALSE(w.first_sight({self, 1}));
}

TEST(EventWindow, EventsOutOfOrderWithinTheSpanEachPassOnce) {
  event_window w(self);
  ASSERT_TRUE(w.first_sight({a, 100}));
  EXPECT_TRUE(w.first_sight({a, 105}));
  for (std::uint64_t s = 101; s < 105; ++s) EXPECT_TRUE(w.first_sight({a, s})) << s;
  for (std::uint64_t s = 100; s <= 105; ++s) EXPECT_FALSE(w.first_sight({a, s})) << s;
  EXPECT_TRUE(w.first_sight({a, 99})) << "behind the newest but within the span, never seen";
}

TEST(EventWindow, AJumpForgetsTheSlotsItPassesOver) {
  // Whatever the size of a jump, the numbers passed over stay new and the
  // old ones still within the span stay seen.
  for (std::uint64_t jump : {std::uint64_t{63}, std::uint64_t{64}, std::uint64_t{200},
                             event_window::span - 1, event_window::span, 3 * event_window::span + 7}) {
    event_window v(self);
    ASSERT_TRUE(v.first_sight({a, 1}));
    ASSERT_TRUE(v.first_sight({a, 1 + jump})) << jump;
    EXPECT_FALSE(v.first_sight({a, 1 + jump})) << jump;
    if (jump < event_window::span) {
      EXPECT_FALSE(v.first_sight({a, 1})) << "still within the span after a jump of " << jump;
      EXPECT_TRUE(v.first_sight({a, jump})) << "skipped over, not seen: " << jump;
    } else {
      EXPECT_FALSE(v.first_sight({a, 1})) << "fell out of the span: taken for a late copy";
    }
  }
}

TEST(EventWindow, ACopyOlderThanTheSpanIsDropped) {
  event_window w(self);
  ASSERT_TRUE(w.first_sight({a, 1}));
  for (std::uint64_t s = 2; s <= event_window::span + 1; ++s) ASSERT_TRUE(w.first_sight({a, s}));
  EXPECT_FALSE(w.first_sight({a, 1}));
  EXPECT_FALSE(w.first_sight({a, 2})) << "exactly span behind the newest";
  EXPECT_FALSE(w.first_sight({a, 3})) << "seen";
}

TEST(EventWindow, TheLeastRecentlySeenOriginIsForgottenFirst) {
  event_window w(self);
  for (std::uint64_t o = 100; o < 100 + event_window::max_origins; ++o) ASSERT_TRUE(w.first_sight({o, 1}));
  ASSERT_FALSE(w.first_sight({100, 1}));  // origin 100 is now the most recently seen
  EXPECT_TRUE(w.first_sight({999, 1}));    // one too many: 101 goes
  EXPECT_EQ(w.origins(), event_window::max_origins);
  EXPECT_FALSE(w.first_sight({100, 1}));
  EXPECT_TRUE(w.first_sight({101, 1})) << "forgotten: its copy passes again";
}

}  // namespace
}  // namespace clasp::router
