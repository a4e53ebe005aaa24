// Loss/duplicate bookkeeping and latency percentiles (nearest-rank on sorted samples).
#include "delivery_record.hpp"

#include <algorithm>
#include <cmath>

namespace bench {

delivery_record::delivery_record(std::uint64_t capacity) : seen_(capacity, 0) {
  latencies_ns_.reserve(capacity);
}

bool delivery_record::record(std::uint64_t seq, std::int64_t latency_ns) {
  if (seq >= seen_.size()) {
    ++out_of_range_;
    return false;
  }
  if (seen_[seq]) {
    ++duplicates_;
    return false;
  }
  seen_[seq] = 1;
  ++unique_;
  latencies_ns_.push_back(latency_ns);
  return true;
}

latency_summary delivery_record::summarize() {
  latency_summary s;
  if (latencies_ns_.empty()) return s;
  std::sort(latencies_ns_.begin(), latencies_ns_.end());
  auto at = [&](double q) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies_ns_.size())));
    rank = std::clamp<std::size_t>(rank, 1, latencies_ns_.size());
    return static_cast<double>(latencies_ns_[rank - 1]) / 1000.0;
  };
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  s.p999_us = at(0.999);
  s.max_us = static_cast<double>(latencies_ns_.back()) / 1000.0;
  double sum = 0;
  for (auto v : latencies_ns_) sum += static_cast<double>(v);
  s.mean_us = sum / static_cast<double>(latencies_ns_.size()) / 1000.0;
  return s;
}

}  // namespace bench
