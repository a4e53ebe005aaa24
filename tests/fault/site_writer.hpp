// A steady writer on its own thread at one router: SETs with QoS confirm,
// mostly into its site's namespace and some into the other site's (forwarded
// to that owner), each ACK recorded in the ledger. Refusals and dead
// connections during faults are expected: it reconnects and goes on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/fault/write_ledger.hpp"

namespace clasp::faulttest {

struct writer_counts {
  std::size_t acked = 0;
  std::size_t cross_acked = 0;  // of those, writes into the other site's namespace
  std::size_t refused = 0;     // ERROR 501 (no route to the owner) or 502 (owner timed out)
  std::size_t unanswered = 0;  // no reply in time or the connection closed: reconnect
  std::size_t connects = 0;    // successful HELLO -> WELCOME, the first one included
  std::size_t unexpected = 0;  // any other answer (a bug: see unexpected_answers)
};

class site_writer {
 public:
  // `own` and `cross` are the addresses it writes (a quarter of the writes
  // go to `cross`); values are value_base + 1, + 2, ... (unique per writer).
  site_writer(std::string name, std::uint16_t port, std::vector<std::string> own,
              std::vector<std::string> cross, std::int64_t value_base, write_ledger& ledger);
  ~site_writer();
  site_writer(const site_writer&) = delete;
  site_writer& operator=(const site_writer&) = delete;

  void start();
  void stop();  // joins the thread; bounded by one reply slice
  // Holds the writer between two writes (waits for the one in flight to be
  // answered or given up) so the routers can be compared; resume() goes on.
  void pause();
  void resume();

  writer_counts counts() const;
  std::vector<std::string> unexpected_answers() const;  // the first few
  const std::string& name() const { return name_; }

 private:
  void run();

  std::string name_;
  std::uint16_t port_;
  std::vector<std::string> own_, cross_;
  std::int64_t next_value_;
  write_ledger& ledger_;
  // Holds here while a pause is requested (the loop's only waiting point).
  void wait_while_paused();

  std::atomic<bool> stopping_{false};
  bool pause_requested_ = false;
  bool paused_ = false;  // the loop is holding
  std::condition_variable pause_changed_;
  std::thread thread_;
  mutable std::mutex mutex_;
  writer_counts counts_;
  std::vector<std::string> unexpected_;
};

}  // namespace clasp::faulttest
