// Parses clasp_loadgen's "--name value" options.
#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace bench {

namespace {
[[noreturn]] void usage(const char* why) {
  if (why) std::fprintf(stderr, "clasp_loadgen: %s\n", why);
  std::fprintf(stderr,
               "usage: clasp_loadgen --system clasp|nats|mqtt --pub-url URL --sub-url URL\n"
               "       [--mode latency|throughput] [--rate 5000] [--duration 10]\n"
               "       [--messages 1000000] [--window 10000] [--keys 100] [--label TEXT]\n"
               "       [--warmup-timeout 15] [--drain-timeout 3] [--clasp-message set|event]\n"
               "URLs: ws://host:port (clasp), nats://host:port, mqtt://host:port\n");
  std::exit(why ? 2 : 0);
}
}  // namespace

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") usage(nullptr);
    if (i + 1 >= argc) usage(("missing value for " + name).c_str());
    std::string v = argv[++i];
    try {
      if (name == "--system") o.system = v;
      else if (name == "--pub-url") o.pub_url = v;
      else if (name == "--sub-url") o.sub_url = v;
      else if (name == "--mode") o.mode = v;
      else if (name == "--label") o.label = v;
      else if (name == "--rate") o.rate = std::stod(v);
      else if (name == "--duration") o.duration = std::stod(v);
      else if (name == "--messages") o.messages = std::stoull(v);
      else if (name == "--window") o.window = std::stoull(v);
      else if (name == "--keys") o.keys = static_cast<std::uint32_t>(std::stoul(v));
      else if (name == "--warmup-timeout") o.warmup_timeout = std::stod(v);
      else if (name == "--drain-timeout") o.drain_timeout = std::stod(v);
      else if (name == "--clasp-message") o.clasp_message = v;
      else usage(("unknown option " + name).c_str());
    } catch (const std::logic_error&) {
      usage(("bad value for " + name).c_str());
    }
  }
  if (o.system != "clasp" && o.system != "nats" && o.system != "mqtt") usage("bad --system");
  if (o.mode != "latency" && o.mode != "throughput") usage("bad --mode");
  if (o.clasp_message != "set" && o.clasp_message != "event") usage("bad --clasp-message");
  if (o.pub_url.empty()) usage("--pub-url is required");
  if (o.sub_url.empty()) o.sub_url = o.pub_url;
  if (o.keys == 0 || o.rate <= 0 || o.duration <= 0 || o.window == 0) usage("values must be > 0");
  return o;
}

}  // namespace bench
