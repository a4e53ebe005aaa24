// Sizing the persistence backlog from measured commit times; see write_admission.hpp.
#include "actors/router/write_admission.hpp"

#include <algorithm>

namespace clasp::actors {

namespace {
// A batch of a few rows costs mostly the commit itself, not its rows: counted
// as at least this many, so a quiet trickle does not make rows look expensive,
// while a trickle that is slow (a starved thread) still raises the estimate.
constexpr std::size_t min_rows_counted = 100;
// A slower batch counts at once (load came: shrink the backlog now); a faster
// one only in part, so one lucky batch does not widen the limit.
constexpr double faster_weight = 0.25;
}  // namespace

void write_admission::batch_sent(std::size_t rows, clock::time_point now) {
  in_flight_.push_back({rows, now});
  in_flight_rows_ += rows;
}

void write_admission::batch_answered(clock::time_point now) {
  if (in_flight_.empty()) return;
  const sent_batch b = in_flight_.front();
  in_flight_.pop_front();
  in_flight_rows_ -= std::min(in_flight_rows_, b.rows);
  // Persistence started on it when it was sent, or, if it queued behind the
  // previous batch, when that one was answered.
  const auto started = std::max(b.sent, last_answer_);
  last_answer_ = now;
  if (b.rows == 0) return;  // watermarks or erasures only: says nothing about rows
  const double seconds = std::chrono::duration<double>(now - started).count();
  const double per_row = seconds / static_cast<double>(std::max(b.rows, min_rows_counted));
  if (per_row > seconds_per_row_)
    seconds_per_row_ = per_row;
  else
    seconds_per_row_ += faster_weight * (per_row - seconds_per_row_);
  update_limit();
}

void write_admission::update_limit() {
  const double budget = std::chrono::duration<double>(drain_budget).count();
  const double rows = budget / std::max(seconds_per_row_, 1e-9);
  limit_ = static_cast<std::size_t>(
      std::clamp(rows, static_cast<double>(min_limit), static_cast<double>(max_limit)));
}

std::vector<std::weak_ptr<session_bridge>> write_admission::take_resumable(std::size_t changed) {
  std::vector<std::weak_ptr<session_bridge>> out;
  if (!parked_.empty() && admits_write(changed)) out.swap(parked_);
  return out;
}

}  // namespace clasp::actors
