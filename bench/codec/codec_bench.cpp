// Encode and decode throughput of a typical SET (~30-byte address, f64) and
// PUBLISH, whole frames, reusing buffers the way a session loop does.
#include <benchmark/benchmark.h>

#include "messages/address.hpp"
#include "messages/codec.hpp"

namespace {

using namespace clasp;

message typical_set() {
  return msg::set{
      "/studio/mixer/channel/12/fader", value(0.75), std::nullopt, false, false, std::nullopt};
}

message typical_publish() {
  msg::publish p;
  p.signal = signal_type::event;
  p.address = "/studio/pads/bank-a/pad/7/hit";
  p.val = value(0.9);
  p.timestamp = 1700000000000000ull;
  return p;
}

void encode_frames(benchmark::State& state, const message& m) {
  std::string out;
  const codec::encode_options opts{codec::default_qos(m), std::nullopt};
  for (auto _ : state) {
    out.clear();
    codec::encode_frame(m, opts, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void decode_frames(benchmark::State& state, const message& m) {
  const std::string bytes = *codec::encode_frame(m, {codec::default_qos(m), std::nullopt});
  codec::decoded_frame out;
  codec::decode_error err;
  for (auto _ : state) {
    if (!codec::decode_frame(bytes, out, err)) state.SkipWithError(err.reason.c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

// A fresh output object per decode: what a caller that does not reuse pays.
void decode_fresh(benchmark::State& state, const message& m) {
  const std::string bytes = *codec::encode_frame(m, {codec::default_qos(m), std::nullopt});
  codec::decode_error err;
  for (auto _ : state) {
    codec::decoded_frame out;
    if (!codec::decode_frame(bytes, out, err)) state.SkipWithError(err.reason.c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EncodeSet(benchmark::State& s) { encode_frames(s, typical_set()); }
void BM_DecodeSet(benchmark::State& s) { decode_frames(s, typical_set()); }
void BM_DecodeSetFresh(benchmark::State& s) { decode_fresh(s, typical_set()); }
void BM_EncodePublish(benchmark::State& s) { encode_frames(s, typical_publish()); }
void BM_DecodePublish(benchmark::State& s) { decode_frames(s, typical_publish()); }
void BM_DecodePublishFresh(benchmark::State& s) { decode_fresh(s, typical_publish()); }

// Matching runs per message per subscription.
void BM_PatternMatch(benchmark::State& state) {
  const std::string address = "/studio/mixer/channel/12/fader";
  for (auto _ : state) {
    benchmark::DoNotOptimize(pattern_matches("/studio/**/fader", address));
    benchmark::DoNotOptimize(pattern_matches("/studio/mixer/*/12/*", address));
  }
  state.SetItemsProcessed(2 * state.iterations());
}

BENCHMARK(BM_EncodeSet);
BENCHMARK(BM_DecodeSet);
BENCHMARK(BM_DecodeSetFresh);
BENCHMARK(BM_EncodePublish);
BENCHMARK(BM_DecodePublish);
BENCHMARK(BM_DecodePublishFresh);
BENCHMARK(BM_PatternMatch);

}  // namespace
