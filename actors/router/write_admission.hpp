// Backpressure from the disk to the clients: keeps the params changed but not
// yet committed (the persistence backlog) small enough to commit within the
// durability window, by holding clients' writes back while it is full.
//
// The store thread reports each persistence batch it sends and each answer;
// from the answers it learns how long a row takes to commit (as the store sees
// it: queueing behind the previous batch, CPU share and checkpoints included)
// and sizes the backlog to what commits in `drain_budget`. The I/O threads ask
// admits_write() before each client write (SET, BUNDLE); a session refused is
// parked here and resumed once the backlog is under the limit again.
//
// Not thread-safe: every member is used under the store lock (locked_store).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace clasp::actors {

class session_bridge;

class write_admission {
 public:
  using clock = std::chrono::steady_clock;

  // What the backlog may take to commit once a batch holding it is taken. The
  // promise is 250 ms from ACK to commit: up to one persist interval (50 ms)
  // until the next batch is taken, this, and the rest as margin for the
  // scheduler and a rate that drops while the backlog drains.
  static constexpr std::chrono::milliseconds drain_budget{100};
  // The backlog limit's bounds. The floor keeps writes moving on a machine so
  // busy that the measured rate says almost nothing fits; the ceiling keeps
  // one lucky measurement from admitting a backlog no later one could drain.
  static constexpr std::size_t min_limit = 256;
  static constexpr std::size_t max_limit = 200000;
  // Until the first answer: 20 us a row (quiet, a row takes 3-4 us), so the
  // first burst on a busy machine starts from a limit of 5,000 rows.
  static constexpr double initial_seconds_per_row = 20e-6;

  write_admission() { update_limit(); }

  // Off: every write admitted (no persistence).
  void enable() { enabled_ = true; }
  bool enabled() const { return enabled_; }

  // True while the backlog (`changed`: params changed and not yet handed to
  // persistence, plus those in batches not answered yet) is under the limit.
  bool admits_write(std::size_t changed) const {
    return !enabled_ || changed + in_flight_rows_ < limit_;
  }
  // A session whose write was refused; resumed by take_resumable().
  void park(std::weak_ptr<session_bridge> waiter) { parked_.push_back(std::move(waiter)); }

  // The store sent a batch of `rows` params to persistence / got its answer
  // (batches are answered in the order they were sent).
  void batch_sent(std::size_t rows, clock::time_point now);
  void batch_answered(clock::time_point now);

  // The parked sessions, if the backlog has room again (empty otherwise); the
  // caller resumes them after releasing the store lock.
  std::vector<std::weak_ptr<session_bridge>> take_resumable(std::size_t changed);

  std::size_t limit() const { return limit_; }
  std::size_t in_flight_rows() const { return in_flight_rows_; }
  std::size_t parked() const { return parked_.size(); }
  double seconds_per_row() const { return seconds_per_row_; }
  std::uint64_t refusals() const { return refusals_; }
  void count_refusal() { ++refusals_; }

 private:
  struct sent_batch {
    std::size_t rows;
    clock::time_point sent;
  };
  void update_limit();

  bool enabled_ = false;
  std::deque<sent_batch> in_flight_;
  std::size_t in_flight_rows_ = 0;
  clock::time_point last_answer_{};
  double seconds_per_row_ = initial_seconds_per_row;
  std::size_t limit_ = 0;
  std::vector<std::weak_ptr<session_bridge>> parked_;
  std::uint64_t refusals_ = 0;
};

}  // namespace clasp::actors
