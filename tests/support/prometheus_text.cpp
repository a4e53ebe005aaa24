// Minimal parsing of the exposition format (enough for prometheus-cpp's
// output) and promtool run on a temporary file.
#include "tests/support/prometheus_text.hpp"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace clasp::test {

metric_samples parse_metrics(const std::string& text) {
  metric_samples out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // Label values we emit never contain a space, so the value follows the last one.
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

std::string series(const std::string& name, const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return name;
  std::string key = name + "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) key += ",";
    first = false;
    key += k + "=\"" + v + "\"";
  }
  return key + "}";
}

std::optional<double> sample(const metric_samples& s, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
  auto it = s.find(series(name, labels));
  if (it == s.end()) return std::nullopt;
  return it->second;
}

namespace {

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    auto candidate = std::filesystem::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

}  // namespace

promtool_result promtool_check(const std::string& text) {
  promtool_result r;
  const std::string promtool = find_on_path("promtool");
  if (promtool.empty()) return r;
  r.available = true;

  std::string file = (std::filesystem::temp_directory_path() / "clasp_metrics_XXXXXX").string();
  const int fd = ::mkstemp(file.data());
  if (fd < 0) {
    r.output = "cannot create a temporary file for promtool";
    return r;
  }
  ::close(fd);
  std::ofstream(file, std::ios::binary) << text;

  const std::string command = "'" + promtool + "' check metrics < '" + file + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    std::filesystem::remove(file);
    r.output = "cannot run " + promtool;
    return r;
  }
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  std::filesystem::remove(file);
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && r.output.empty();
  return r;
}

}  // namespace clasp::test
