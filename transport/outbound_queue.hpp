// The bounded per-connection queue of frames waiting for the socket, with the
// send_class rules of connection.hpp for slow peers. Not thread-safe: its owner locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transport/connection.hpp"

namespace clasp::transport {

class outbound_queue {
 public:
  using clock = std::chrono::steady_clock;

  explicit outbound_queue(outbound_limits limits = {});

  enum class verdict : std::uint8_t { ok, must_close };

  // Queues, coalesces or drops one frame (see send_class). `coalesce_key` is
  // kept as a view: it must stay valid as long as `frame` (a view into the
  // frame's own bytes, or a literal, is the cheap way; no copy is made).
  // `now` defaults to the clock, read only when the queue is over soft_bytes.
  verdict push(frame_ptr frame, send_class cls, std::string_view coalesce_key,
               std::optional<clock::time_point> now = std::nullopt);

  // Moves every queued frame to `out` (appended, in order) for one socket write.
  // Their bytes stay counted as in flight until written() is called.
  void take(std::vector<frame_ptr>& out);
  // The write of everything taken so far finished.
  void written(std::optional<clock::time_point> now = std::nullopt);

  // must_close once bytes have stayed over soft_bytes longer than stuck_timeout.
  verdict check(std::optional<clock::time_point> now = std::nullopt) const;

  // Drops everything queued (not what is in flight).
  void clear();

  void set_limits(const outbound_limits& limits) { limits_ = limits; }
  const outbound_limits& limits() const { return limits_; }
  bool empty() const { return entries_.empty(); }
  std::size_t queued_frames() const { return entries_.size(); }
  std::size_t bytes() const { return queued_bytes_ + in_flight_bytes_; }
  bool over_soft() const { return bytes() >= limits_.soft_bytes; }
  // When bytes went over soft_bytes, if they still are.
  std::optional<clock::time_point> over_soft_since() const { return over_soft_since_; }
  std::uint64_t frames_coalesced() const { return frames_coalesced_; }
  std::uint64_t frames_dropped() const { return frames_dropped_; }
  std::uint64_t frames_taken() const { return frames_taken_; }

 private:
  struct entry {
    frame_ptr frame;
    send_class cls;
    std::string_view key;  // param frames only; views memory that lives as long as `frame`
  };
  void build_index();
  void note_level(std::optional<clock::time_point> now);

  outbound_limits limits_;
  std::deque<entry> entries_;
  std::uint64_t head_seq_ = 0;  // sequence number of entries_.front()
  // coalesce_key -> sequence number of its queued param frame. Built lazily the
  // first time the queue is over soft_bytes, so the fast path never hashes.
  std::unordered_map<std::string_view, std::uint64_t> index_;
  bool index_valid_ = false;
  std::size_t queued_bytes_ = 0;
  std::size_t in_flight_bytes_ = 0;
  std::optional<clock::time_point> over_soft_since_;
  std::uint64_t frames_coalesced_ = 0;
  std::uint64_t frames_dropped_ = 0;
  std::uint64_t frames_taken_ = 0;
};

}  // namespace clasp::transport
