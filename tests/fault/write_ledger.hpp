// The fault suite's record of writes, shared by the writer threads: every
// value sent per address, every ACK (value, revision, when), and the times an
// owner died abruptly. An ACK inside the durability window before such a
// death is not promised to survive (an ACKed write survives SIGKILL 250 ms
// after its ACK), so it is "excused"; every other ACK must be there.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "messages/messages.hpp"

namespace clasp::faulttest {

using clock_type = std::chrono::steady_clock;

// What the router promises: an ACKed write survives SIGKILL this long after its ACK.
inline constexpr std::chrono::milliseconds durability_window{250};

struct acked_write {
  std::int64_t value = 0;
  revision_t revision = 0;
  clock_type::time_point acked_at;  // when the writer read the ACK; the owner sent it no later
};

// What the check may rely on for one address.
struct address_record {
  std::set<std::int64_t> sent;        // every value a writer sent (ACKed or not)
  std::vector<acked_write> promised;  // ACKs that must survive
  std::vector<acked_write> excused;   // ACKs inside a death's durability window
};

class write_ledger {
 public:
  void sent(const std::string& address, std::int64_t value);
  void acked(const std::string& address, std::int64_t value, revision_t revision);
  // The router owning addresses under `owner_prefix` ("/site-a/") died
  // abruptly at some moment from `died_from` on and was certainly down until
  // `restarted_at`.
  void owner_died(const std::string& owner_prefix, clock_type::time_point died_from,
                  clock_type::time_point restarted_at);

  std::size_t acked_count() const;
  // Per address: what was sent and which ACKs must survive (after applying
  // every death recorded so far).
  std::map<std::string, address_record> records() const;

 private:
  struct death {
    std::string prefix;
    clock_type::time_point from, to;
  };
  bool excused(const std::string& address, const acked_write& w) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::set<std::int64_t>> sent_;
  std::map<std::string, std::vector<acked_write>> acked_;
  std::vector<death> deaths_;
  std::size_t acked_count_ = 0;
};

}  // namespace clasp::faulttest
