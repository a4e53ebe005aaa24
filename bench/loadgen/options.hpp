// Command-line options of clasp_loadgen.
#pragma once

#include <cstdint>
#include <string>

namespace bench {

struct options {
  std::string system = "clasp";  // clasp | nats | mqtt
  std::string clasp_message = "set";  // clasp: what the publisher sends, set | event (PUBLISH)
  std::string pub_url;
  std::string sub_url;
  std::string mode = "latency";  // latency | throughput
  std::string label;             // free text copied into the JSON (topology name)
  double rate = 5000;            // latency mode: messages per second
  double duration = 10;          // latency: send time; throughput: send time cap (s)
  std::uint64_t messages = 1000000;  // throughput mode: messages to send
  std::uint64_t window = 10000;      // throughput mode: max published - received
  std::uint32_t keys = 100;
  double warmup_timeout = 15;  // s to wait for the first probe to arrive
  double drain_timeout = 3;    // s without progress after the last send = done
};

// Parses argv; prints usage and exits on --help or a bad option.
options parse_options(int argc, char** argv);

}  // namespace bench
