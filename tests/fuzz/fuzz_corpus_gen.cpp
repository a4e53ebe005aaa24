// Writes one frame per sample message (and a few bare payloads) into a
// directory: the fuzzer's seed corpus. Usage: fuzz_corpus_gen OUT_DIR
#include <cstdio>
#include <fstream>
#include <string>

#include "messages/codec.hpp"
#include "tests/messages/sample_messages.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  };
  int i = 0;
  for (const auto& [name, m] : clasp::testing::sample_messages()) {
    const bool with_ts = (i++ % 3) == 0;
    auto frame = clasp::codec::encode_frame(
        m, {clasp::codec::default_qos(m),
            with_ts ? std::optional<std::uint64_t>(1700000000000000ull) : std::nullopt});
    if (frame) write("frame_" + name, *frame);
    if (name.rfind("set_", 0) == 0 || name.rfind("publish_", 0) == 0) {
      std::string payload;
      clasp::codec::encode_message(m, payload);
      write("payload_" + name, payload);
    }
  }
  write("patterns_1", "/a/**\n/a/b/c");
  write("patterns_2", "/*/x/**\n/a/*/**");
  return 0;
}
