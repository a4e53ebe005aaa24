// libFuzzer entry: arbitrary bytes as a frame and as a payload; whatever
// decodes must re-encode to bytes that decode to the same message. The input
// also drives the address/pattern functions.
#include <cstdio>
#include <cstdlib>

#include "messages/address.hpp"
#include "messages/codec.hpp"

namespace {

using namespace clasp;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_decode invariant broken: %s\n", what);
    std::abort();
  }
}

void check_round_trip(const message& m) {
  std::string first;
  codec::encode_message(m, first);
  require(first.size() == codec::encoded_size(m), "encoded_size matches the bytes written");
  message again;
  codec::decode_error err;
  require(codec::decode_message(first, again, err), "re-encoded message decodes");
  // NaN is the only value unequal to itself; the bytes still must match.
  require(again == m || !(m == m), "decode(encode(m)) == m");
  std::string second;
  codec::encode_message(again, second);
  require(first == second, "re-encoding is stable");
  if (first.size() <= codec::max_payload) {
    auto frame = codec::encode_frame(m, {codec::default_qos(m), std::nullopt});
    require(frame.has_value(), "a payload under the limit frames");
  }
}

void check_error(const codec::decode_error& err) {
  require(err.code == error_code::invalid_frame || err.code == error_code::invalid_message ||
              err.code == error_code::unsupported_version,
          "decode error code is 100, 101 or 102");
  require(!err.reason.empty(), "decode error has a reason");
}

void check_patterns(std::string_view input) {
  // Coverage and overlap are quadratic in segments; long inputs only slow the
  // fuzzer down without reaching new code.
  if (input.size() > 512) return;
  const auto cut = input.find('\n');
  if (cut == std::string_view::npos) return;
  const auto a = input.substr(0, cut);
  const auto b = input.substr(cut + 1);
  const bool a_valid = is_valid_pattern(a), b_valid = is_valid_pattern(b);
  const bool matches = pattern_matches(a, b);
  const bool covered = covered_by(b, a);
  const bool overlap = patterns_overlap(a, b);
  if (a_valid && b_valid && is_valid_address(b)) {
    require(matches == covered, "an address is covered exactly when it matches");
    require(matches == overlap, "an address overlaps exactly when it matches");
  }
  if (a_valid && b_valid) {
    require(covered_by(a, a), "a pattern covers itself");
    require(!covered || overlap || !is_valid_pattern(b), "coverage implies overlap");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  codec::decode_error err;

  codec::decoded_frame frame;
  if (codec::decode_frame(bytes, frame, err))
    check_round_trip(frame.msg);
  else
    check_error(err);

  message payload_msg;
  if (codec::decode_message(bytes, payload_msg, err))
    check_round_trip(payload_msg);
  else
    check_error(err);

  check_patterns(bytes);
  return 0;
}
