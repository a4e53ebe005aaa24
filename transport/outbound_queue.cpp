// Outbound queue rules: queue in order, coalesce params and drop streams under
// pressure, and tell the owner to close when the peer cannot keep up.
#include "transport/outbound_queue.hpp"

namespace clasp::transport {

outbound_queue::outbound_queue(outbound_limits limits) : limits_(limits) {}

outbound_queue::verdict outbound_queue::push(frame_ptr frame, send_class cls,
                                             std::string_view coalesce_key,
                                             std::optional<clock::time_point> now) {
  const std::size_t size = frame ? frame->size() : 0;
  if (!frame) return check(now);
  if (over_soft()) {
    if (cls == send_class::stream) {
      ++frames_dropped_;
      return check(now);
    }
    if (cls == send_class::param && !coalesce_key.empty()) {
      if (!index_valid_) build_index();
      auto found = index_.find(coalesce_key);
      if (found != index_.end()) {
        // Replace the older update in place: it keeps its queue position. The
        // index key views the old frame, so it is re-keyed on the new one.
        const std::uint64_t seq = found->second;
        entry& older = entries_[seq - head_seq_];
        queued_bytes_ = queued_bytes_ - older.frame->size() + size;
        index_.erase(found);
        older.frame = std::move(frame);
        older.key = coalesce_key;
        index_[older.key] = seq;
        ++frames_coalesced_;
        note_level(now);
        return bytes() > limits_.hard_bytes ? verdict::must_close : check(now);
      }
    }
  }
  const std::uint64_t seq = head_seq_ + entries_.size();
  if (cls == send_class::param) {
    entries_.push_back(entry{std::move(frame), cls, coalesce_key});
    if (index_valid_ && !coalesce_key.empty()) index_[entries_.back().key] = seq;
  } else {
    entries_.push_back(entry{std::move(frame), cls, {}});
  }
  queued_bytes_ += size;
  note_level(now);
  return bytes() > limits_.hard_bytes ? verdict::must_close : check(now);
}

void outbound_queue::build_index() {
  index_.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].cls == send_class::param && !entries_[i].key.empty())
      index_[entries_[i].key] = head_seq_ + i;
  index_valid_ = true;
}

void outbound_queue::take(std::vector<frame_ptr>& out) {
  for (auto& e : entries_) out.push_back(std::move(e.frame));
  frames_taken_ += entries_.size();
  head_seq_ += entries_.size();
  entries_.clear();
  index_.clear();
  index_valid_ = false;
  in_flight_bytes_ += queued_bytes_;
  queued_bytes_ = 0;
}

void outbound_queue::written(std::optional<clock::time_point> now) {
  in_flight_bytes_ = 0;
  note_level(now);
}

void outbound_queue::clear() {
  head_seq_ += entries_.size();
  entries_.clear();
  index_.clear();
  index_valid_ = false;
  queued_bytes_ = 0;
}

void outbound_queue::note_level(std::optional<clock::time_point> now) {
  if (!over_soft()) {
    over_soft_since_.reset();
  } else if (!over_soft_since_) {
    over_soft_since_ = now.value_or(clock::now());
  }
}

outbound_queue::verdict outbound_queue::check(std::optional<clock::time_point> now) const {
  if (bytes() > limits_.hard_bytes) return verdict::must_close;
  if (over_soft_since_ && now.value_or(clock::now()) - *over_soft_since_ > limits_.stuck_timeout)
    return verdict::must_close;
  return verdict::ok;
}

}  // namespace clasp::transport
