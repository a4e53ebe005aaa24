// The hot path stays off the heap: decoding a SET with an f64 allocates only
// its address (nothing when the output is reused), encoding only grows `out`.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "messages/address.hpp"
#include "messages/codec.hpp"

namespace {
std::atomic<long> allocations{0};
}  // namespace

// Counts every allocation in this test binary; the tests read differences.
void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace clasp {
namespace {

using namespace codec;

const message typical_set = msg::set{
    "/studio/mixer/channel/12/fader", value(0.75), std::nullopt, false, false, std::nullopt};

TEST(CodecAllocation, DecodeSetAllocatesOnlyTheAddress) {
  const std::string frame = *encode_frame(typical_set, {qos::confirm, std::nullopt});
  decode_error err;
  {
    long before = allocations.load();
    decoded_frame fresh;
    ASSERT_TRUE(decode_frame(frame, fresh, err));
    EXPECT_EQ(allocations.load() - before, 1);  // the 30-byte address
  }
  decoded_frame reused;
  ASSERT_TRUE(decode_frame(frame, reused, err));
  long before = allocations.load();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(decode_frame(frame, reused, err));
  EXPECT_EQ(allocations.load() - before, 0);
  EXPECT_EQ(reused.msg, typical_set);
}

TEST(CodecAllocation, EncodeWritesIntoTheGivenString) {
  std::string out;
  out.reserve(256);
  long before = allocations.load();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    ASSERT_TRUE(encode_frame(typical_set, {qos::confirm, std::nullopt}, out));
  }
  EXPECT_EQ(allocations.load() - before, 0);
}

TEST(CodecAllocation, MatchingDoesNotAllocate) {
  long before = allocations.load();
  bool all = true;
  for (int i = 0; i < 100; ++i) {
    all = all && pattern_matches("/studio/**/fader", "/studio/mixer/channel/12/fader");
    all = all && pattern_matches("/studio/*/channel/*/fader", "/studio/mixer/channel/12/fader");
  }
  EXPECT_TRUE(all);
  EXPECT_EQ(allocations.load() - before, 0);
}

}  // namespace
}  // namespace clasp
