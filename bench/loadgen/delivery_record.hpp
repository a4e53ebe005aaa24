// What the subscriber saw: which sequence numbers arrived (loss, duplicates)
// and each first arrival's one-way latency. Written by the subscriber thread only.
#pragma once

#include <cstdint>
#include <vector>

namespace bench {

struct latency_summary {
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;
};

class delivery_record {
public:
  explicit delivery_record(std::uint64_t capacity);
  // Returns true on the first sighting of seq.
  bool record(std::uint64_t seq, std::int64_t latency_ns);
  std::uint64_t unique() const { return unique_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t out_of_range() const { return out_of_range_; }
  // Sorts the samples; call once the subscriber has stopped.
  latency_summary summarize();

private:
  std::vector<std::uint8_t> seen_;
  std::vector<std::int64_t> latencies_ns_;
  std::uint64_t unique_ = 0, duplicates_ = 0, out_of_range_ = 0;
};

}  // namespace bench
