// "--name value" arguments of clasp_scenario and the JSON-ish helpers its modes share.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace bench {

struct scenario_args {
  std::string mode;
  std::map<std::string, std::string> values;

  std::string str(const std::string& name, const std::string& fallback) const;
  double num(const std::string& name, double fallback) const;
  std::uint64_t count(const std::string& name, std::uint64_t fallback) const;
};

// Parses "MODE --name value ..."; exits with usage on error.
scenario_args parse_scenario_args(int argc, char** argv);

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// The modes; each prints one JSON line on stdout and returns the exit code.
int run_fill(const scenario_args& a);
int run_verify(const scenario_args& a);
int run_fanout(const scenario_args& a);
int run_churn(const scenario_args& a);
int run_probe(const scenario_args& a);
int run_subscribe(const scenario_args& a);

}  // namespace bench
