// JS -> C++ golden tests: every frame @clasp-to/core encoded (golden_encode.js)
// must decode with our codec into the object the JS decoder returns, and
// re-encode to the very same bytes.
// Usage: interop_golden_tests [gtest flags] <golden.json>  (or CLASP_INTEROP_GOLDEN=<file>)
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "messages/codec.hpp"
#include "tests/interop/js_shape.hpp"
#include "tests/interop/json_diff.hpp"

namespace {

using nlohmann::json;
using namespace clasp;

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// Byte identity holds for every frame the JS client can produce: it writes
// numbers only as f64 (which we keep as double), strings as given, optional
// fields only when present, and PUBLISH `payload` exactly like `value` (so
// that case differs from its input object only, not on the wire).
class js_golden_frame : public ::testing::Test {
 public:
  explicit js_golden_frame(json entry) : entry_(std::move(entry)) {}

  void TestBody() override {
    std::string bytes;
    ASSERT_TRUE(interop::from_hex(entry_.at("hex").get<std::string>(), bytes))
        << "bad hex in golden file";

    codec::decoded_frame frame;
    codec::decode_error err;
    ASSERT_TRUE(codec::decode_frame(bytes, frame, err))
        << "decode_frame failed: code " << err.code << ": " << err.reason << "\n  frame "
        << interop::to_hex(bytes);

    const json& header = entry_.at("frame");
    EXPECT_EQ(static_cast<int>(frame.header.quality), header.at("qos").get<int>()) << "QoS";
    EXPECT_EQ(frame.header.version, 1);
    if (header.contains("timestamp")) {
      ASSERT_TRUE(frame.header.timestamp.has_value()) << "frame timestamp lost";
      EXPECT_EQ(std::to_string(*frame.header.timestamp), header.at("timestamp").get<std::string>());
    } else {
      EXPECT_FALSE(frame.header.timestamp.has_value()) << "frame timestamp invented";
    }

    json shape = interop::js_shape(frame.msg);
    auto problems = interop::json_diff(entry_.at("expect"), shape);
    EXPECT_TRUE(problems.empty()) << "decoded message differs from the JS decoder's object:"
                                  << join_lines(problems);

    const std::size_t header_len =
        frame.header.timestamp ? codec::header_size_with_timestamp : codec::header_size;
    EXPECT_EQ(codec::encoded_size(frame.msg), bytes.size() - header_len) << "encoded_size";

    codec::encode_options opts;
    opts.quality = frame.header.quality;
    opts.timestamp = frame.header.timestamp;
    auto again = codec::encode_frame(frame.msg, opts);
    ASSERT_TRUE(again.has_value()) << "encode_frame refused a frame the JS client produced";
    if (*again != bytes) {
      std::size_t at = 0;
      while (at < again->size() && at < bytes.size() && (*again)[at] == bytes[at]) ++at;
      ADD_FAILURE() << "re-encoded bytes differ from the JS bytes at offset " << at
                    << "\n  js:  " << interop::to_hex(bytes)
                    << "\n  c++: " << interop::to_hex(*again);
    }
  }

 private:
  json entry_;
};

// Guards the golden file itself: it must cover every message type the JS client knows.
class js_golden_coverage : public ::testing::Test {
 public:
  explicit js_golden_coverage(json entries) : entries_(std::move(entries)) {}
  void TestBody() override {
    std::set<std::string> seen;
    for (const auto& e : entries_) seen.insert(e.at("expect").at("type").get<std::string>());
    for (const char* t :
         {"HELLO", "WELCOME", "ANNOUNCE", "SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH", "SET", "GET",
          "SNAPSHOT", "BUNDLE", "SYNC", "PING", "PONG", "ACK", "ERROR", "QUERY", "RESULT"}) {
      EXPECT_TRUE(seen.count(t)) << "golden file has no " << t << " frame";
    }
    EXPECT_GE(entries_.size(), 100u) << "golden file looks truncated";
  }

 private:
  json entries_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* path = argc > 1 ? argv[1] : std::getenv("CLASP_INTEROP_GOLDEN");
  if (!path) {
    std::cerr << "usage: interop_golden_tests <golden.json> (written by "
                 "tests/interop/golden_encode.js)\n";
    return 2;
  }
  std::ifstream in(path);
  if (!in) {
    std::cerr << "interop_golden_tests: cannot read " << path << "\n";
    return 2;
  }
  json entries = json::parse(in, nullptr, false);
  if (entries.is_discarded() || !entries.is_array()) {
    std::cerr << "interop_golden_tests: " << path << " is not a JSON array\n";
    return 2;
  }
  ::testing::RegisterTest(
      "JsGolden", "Coverage", nullptr, nullptr, __FILE__, __LINE__,
      [entries]() -> ::testing::Test* { return new js_golden_coverage(entries); });
  for (const auto& e : entries) {
    const std::string name = e.at("name").get<std::string>();
    ::testing::RegisterTest("JsGolden", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [e]() -> ::testing::Test* { return new js_golden_frame(e); });
  }
  return RUN_ALL_TESTS();
}
