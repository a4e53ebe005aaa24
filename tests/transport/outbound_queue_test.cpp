// Outbound queue rules under pressure: order, coalescing, dropping, closing.
#include "transport/outbound_queue.hpp"

#include <gtest/gtest.h>

namespace clasp::transport {
namespace {

using namespace std::chrono_literals;
using verdict = outbound_queue::verdict;

frame_ptr frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

std::vector<std::string> drain(outbound_queue& q) {
  std::vector<frame_ptr> taken;
  q.take(taken);
  std::vector<std::string> out;
  for (auto& f : taken) out.push_back(*f);
  return out;
}

outbound_limits limits(std::size_t soft, std::size_t hard, std::chrono::milliseconds stuck = 1000ms) {
  outbound_limits l;
  l.soft_bytes = soft;
  l.hard_bytes = hard;
  l.stuck_timeout = stuck;
  return l;
}

TEST(outbound_queue, below_soft_everything_queues_in_order) {
  outbound_queue q(limits(100, 1000));
  q.push(frame("a1"), send_class::param, "/a");
  q.push(frame("s1"), send_class::stream, "/s");
  q.push(frame("a2"), send_class::param, "/a");
  q.push(frame("c1"), send_class::control, {});
  EXPECT_EQ(q.bytes(), 8u);
  EXPECT_EQ(drain(q), (std::vector<std::string>{"a1", "s1", "a2", "c1"}));
  EXPECT_EQ(q.frames_coalesced(), 0u);
  EXPECT_EQ(q.frames_dropped(), 0u);
}

TEST(outbound_queue, above_soft_params_coalesce_in_place_and_streams_drop) {
  outbound_queue q(limits(10, 1000));
  q.push(frame("A-old"), send_class::param, "/a");
  q.push(frame("B-old"), send_class::param, "/b");  // now at 10 bytes: at soft
  EXPECT_TRUE(q.over_soft());
  q.push(frame("stream"), send_class::stream, "/s");
  q.push(frame("A-new!"), send_class::param, "/a");
  q.push(frame("ctl"), send_class::control, {});
  q.push(frame("C"), send_class::param, "/c");  // new key: queued at the end
  q.push(frame("C2"), send_class::param, "/c");  // coalesces with the one just queued
  EXPECT_EQ(drain(q), (std::vector<std::string>{"A-new!", "B-old", "ctl", "C2"}));
  EXPECT_EQ(q.frames_coalesced(), 2u);
  EXPECT_EQ(q.frames_dropped(), 1u);
  EXPECT_EQ(q.bytes(), 6u + 5 + 3 + 2);  // in flight until written
  q.written();
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(outbound_queue, frames_being_written_are_not_coalesced) {
  outbound_queue q(limits(4, 1000));
  q.push(frame("A-old"), send_class::param, "/a");
  std::vector<frame_ptr> in_flight;
  q.take(in_flight);
  q.push(frame("A-new"), send_class::param, "/a");  // over soft (in-flight bytes count)
  EXPECT_EQ(q.frames_coalesced(), 0u);
  EXPECT_EQ(drain(q), std::vector<std::string>{"A-new"});
  EXPECT_EQ(*in_flight[0], "A-old");
}

TEST(outbound_queue, over_hard_means_close) {
  outbound_queue q(limits(10, 20));
  EXPECT_EQ(q.push(frame(std::string(15, 'x')), send_class::control, {}), verdict::ok);
  EXPECT_EQ(q.push(frame(std::string(6, 'y')), send_class::control, {}), verdict::must_close);
}

TEST(outbound_queue, coalescing_keeps_the_queue_under_hard) {
  outbound_queue q(limits(10, 20));
  q.push(frame(std::string(10, 'c')), send_class::control, {});
  q.push(frame("v0"), send_class::param, "/k");
  for (int i = 1; i < 1000; ++i)
    ASSERT_EQ(q.push(frame("v" + std::to_string(i % 10)), send_class::param, "/k"), verdict::ok);
  EXPECT_EQ(q.queued_frames(), 2u);
  EXPECT_EQ(q.frames_coalesced(), 999u);
}

TEST(outbound_queue, over_soft_for_longer_than_stuck_timeout_means_close) {
  outbound_queue q(limits(10, 1000, 100ms));
  const auto t0 = outbound_queue::clock::now();
  q.push(frame(std::string(12, 'x')), send_class::control, {}, t0);
  EXPECT_EQ(q.check(t0 + 50ms), verdict::ok);
  EXPECT_EQ(q.check(t0 + 150ms), verdict::must_close);
  EXPECT_EQ(q.push(frame("c"), send_class::control, {}, t0 + 150ms), verdict::must_close);
}

TEST(outbound_queue, draining_below_soft_resets_the_stuck_clock) {
  outbound_queue q(limits(10, 1000, 100ms));
  const auto t0 = outbound_queue::clock::now();
  q.push(frame(std::string(12, 'x')), send_class::control, {}, t0);
  std::vector<frame_ptr> taken;
  q.take(taken);
  q.written(t0 + 60ms);
  EXPECT_FALSE(q.over_soft_since().has_value());
  q.push(frame(std::string(12, 'x')), send_class::control, {}, t0 + 90ms);
  EXPECT_EQ(q.check(t0 + 150ms), verdict::ok);
  EXPECT_EQ(q.check(t0 + 200ms), verdict::must_close);
}

}  // namespace
}  // namespace clasp::transport
