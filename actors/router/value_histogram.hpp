// Counts of observed values per bucket, kept as plain integers by whoever
// observes (the store for sync answers, the persistence actor for batches)
// and turned into a Prometheus histogram only when /metrics is scraped.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace clasp::router {

class value_histogram {
 public:
  // `upper_bounds` ascending; a last, unbounded bucket (+Inf) is implied.
  explicit value_histogram(std::vector<double> upper_bounds)
      : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

  void observe(double v) {
    // Prometheus buckets are "less than or equal to the bound".
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += v;
    ++count_;
  }

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // One count per bucket (not cumulative), the +Inf bucket last.
  const std::vector<std::uint64_t>& bucket_counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace clasp::router
