// Reading Prometheus text exposition in tests: samples by series, and the
// official checker (`promtool check metrics`, Debian package `prometheus`).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace clasp::test {

// Series ("name" or `name{a="x",b="y"}`, labels sorted by name as prometheus-cpp
// writes them) -> value. Comment lines are skipped.
using metric_samples = std::map<std::string, double>;
metric_samples parse_metrics(const std::string& text);

// The key of one series in parse_metrics' map.
std::string series(const std::string& name, const std::map<std::string, std::string>& labels = {});

// The sample's value, or nullopt when the series is absent.
std::optional<double> sample(const metric_samples& s, const std::string& name,
                             const std::map<std::string, std::string>& labels = {});

// GET /metrics from a local router, parsed; nullopt (and `error`) unless it
// answered 200 with the Prometheus text content type.
std::optional<metric_samples> scrape_metrics(std::uint16_t port, std::string* error = nullptr);
// Scrapes until `pred` holds or `timeout` passes (bounded polling); `last`
// gets the last scrape for the failure message.
bool wait_metrics(std::uint16_t port, const std::function<bool(const metric_samples&)>& pred,
                  std::chrono::milliseconds timeout, std::string* last = nullptr);
// A value or 0 when absent, for deltas.
double value_or_zero(const metric_samples& s, const std::string& name,
                     const std::map<std::string, std::string>& labels = {});

struct promtool_result {
  bool available = false;  // promtool found on PATH
  bool ok = false;         // exit status 0 and nothing reported
  std::string output;      // what promtool printed
};
// Runs `promtool check metrics` on `text`.
promtool_result promtool_check(const std::string& text);

}  // namespace clasp::test
