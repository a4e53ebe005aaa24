// Recording writes and deaths, and deciding which ACKs must survive.
#include "tests/fault/write_ledger.hpp"

namespace clasp::faulttest {

void write_ledger::sent(const std::string& address, std::int64_t value) {
  std::lock_guard<std::mutex> lock(mutex_);
  sent_[address].insert(value);
}

void write_ledger::acked(const std::string& address, std::int64_t value, revision_t revision) {
  std::lock_guard<std::mutex> lock(mutex_);
  acked_[address].push_back({value, revision, clock_type::now()});
  ++acked_count_;
}

void write_ledger::owner_died(const std::string& owner_prefix, clock_type::time_point died_from,
                              clock_type::time_point restarted_at) {
  std::lock_guard<std::mutex> lock(mutex_);
  deaths_.push_back({owner_prefix, died_from, restarted_at});
}

std::size_t write_ledger::acked_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return acked_count_;
}

bool write_ledger::excused(const std::string& address, const acked_write& w) const {
  for (const auto& d : deaths_) {
    if (address.compare(0, d.prefix.size(), d.prefix) != 0) continue;
    // The owner sent the ACK no later than the writer read it; one read
    // while the owner was down was in flight when it died.
    if (w.acked_at >= d.from - durability_window && w.acked_at <= d.to) return true;
  }
  return false;
}

std::map<std::string, address_record> write_ledger::records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, address_record> out;
  for (const auto& [address, values] : sent_) out[address].sent = values;
  for (const auto& [address, writes] : acked_) {
    auto& r = out[address];
    for (const auto& w : writes) {
      if (excused(address, w))
        r.excused.push_back(w);
      else
        r.promised.push_back(w);
    }
  }
  return out;
}

}  // namespace clasp::faulttest
