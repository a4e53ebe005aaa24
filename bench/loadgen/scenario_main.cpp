// clasp_scenario: the client side of issue 5's further scenarios (bench/scenarios/run.sh):
// fill a router with many params, verify values by GET, and 1,000-subscriber fan-out.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>

#include "scenario_args.hpp"

namespace bench {

namespace {
[[noreturn]] void usage(const char* why) {
  if (why) std::fprintf(stderr, "clasp_scenario: %s\n", why);
  std::fprintf(
      stderr,
      "usage: clasp_scenario fill   --url ws://H:P [--prefix /site-a/p/] [--count N] [--first 0]\n"
      "                             [--stride 1] [--value 1] [--batch 256] [--confirm-every 4096]\n"
      "                             [--window 65536] [--timeout 300]\n"
      "       clasp_scenario verify --url ws://H:P [--prefix ..] [--count N] [--first 0] [--stride "
      "1]\n"
      "                             --equals V [--timeout 60] [--interval-ms 20]\n"
      "       clasp_scenario fanout --url ws://H:P [--subs 1000] [--updates 2000] [--keys 10]\n"
      "                             [--batch 10] [--rate 0 (updates/s, 0 = unpaced)] [--timeout "
      "60]\n"
      "                             [--drain 3]\n"
      "       clasp_scenario churn  --url ws://H:P [--rate 20000 (new params/s)] [--duration 60]\n"
      "                             [--ttl 1] [--prefix /churn/]\n"
      "       clasp_scenario probe  --url ws://H:P [--address /probe/x] [--rate 1000] [--duration 10]\n"
      "                             [--timeout 5] [--label TEXT]\n"
      "       clasp_scenario subscribe --url ws://H:P [--pattern /site-a/**] [--expect N] [--repeat 1]\n"
      "                             [--duration 0 (repeat for this long)] [--timeout 120]\n");
  std::exit(why ? 2 : 0);
}
}  // namespace

std::string scenario_args::str(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

double scenario_args::num(const std::string& name, double fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : std::stod(it->second);
}

std::uint64_t scenario_args::count(const std::string& name, std::uint64_t fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : std::stoull(it->second);
}

scenario_args parse_scenario_args(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  scenario_args a;
  a.mode = argv[1];
  if (a.mode == "--help" || a.mode == "-h") usage(nullptr);
  for (int i = 2; i < argc; i += 2) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0 || i + 1 >= argc) usage(("bad argument " + name).c_str());
    a.values[name.substr(2)] = argv[i + 1];
  }
  if (a.str("url", "").empty()) usage("--url is required");
  return a;
}

}  // namespace bench

int main(int argc, char** argv) {
  auto a = bench::parse_scenario_args(argc, argv);
  try {
    if (a.mode == "fill") return bench::run_fill(a);
    if (a.mode == "verify") return bench::run_verify(a);
    if (a.mode == "fanout") return bench::run_fanout(a);
    if (a.mode == "churn") return bench::run_churn(a);
    if (a.mode == "probe") return bench::run_probe(a);
    if (a.mode == "subscribe") return bench::run_subscribe(a);
  } catch (const std::exception& e) {
    std::printf("{\"mode\":\"%s\",\"ok\":false,\"error\":\"%s\"}\n", a.mode.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "clasp_scenario: unknown mode %s\n", a.mode.c_str());
  return 2;
}
