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
#include <thread>

#include "tests/support/http_get.hpp"

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

double value_or_zero(const metric_samples& s, const std::string& name,
                     const std::map<std::string, std::string>& labels) {
  return sample(s, name, labels).value_or(0.0);
}

std::optional<metric_samples> scrape_metrics(std::uint16_t port, std::string* error) {
  auto r = http_get(port, "/metrics");
  std::string why;
  if (r.status != 200)
    why = "GET /metrics: status " + std::to_string(r.status) + " " + r.error + " " + r.body;
  else if (r.content_type != "text/plain; version=0.0.4")
    why = "GET /metrics: content type '" + r.content_type + "'";
  if (!why.empty()) {
    if (error) *error = why;
    return std::nullopt;
  }
  if (error) *error = r.body;
  return parse_metrics(r.body);
}

bool wait_metrics(std::uint16_t port, const std::function<bool(const metric_samples&)>& pred,
                  std::chrono::milliseconds timeout, std::string* last) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto s = scrape_metrics(port, last);
    if (s && pred(*s)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(20));  // between scrapes of a bounded wait
  }
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
