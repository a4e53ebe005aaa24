// The per-origin rings of event_window (see the header for what they decide).
#include "actors/router/event_window.hpp"

#include <algorithm>

namespace clasp::router {

bool event_window::first_sight(const event_id& id) {
  if (id.origin == self_) return false;
  bool fresh = false;
  auto& r = ring_for(id.origin, fresh);
  r.last_use = ++uses_;
  if (fresh) {
    r.top = id.seq;
    mark(r, id.seq);
    return true;
  }
  if (id.seq > r.top) {
    advance(r, id.seq);
    mark(r, id.seq);
    return true;
  }
  if (r.top - id.seq >= span || marked(r, id.seq)) return false;
  mark(r, id.seq);
  return true;
}

event_window::ring& event_window::ring_for(std::uint64_t origin, bool& fresh) {
  auto it = rings_.find(origin);
  if (it != rings_.end()) return it->second;
  if (rings_.size() >= max_origins) {
    auto oldest = std::min_element(rings_.begin(), rings_.end(), [](const auto& a, const auto& b) {
      return a.second.last_use < b.second.last_use;
    });
    rings_.erase(oldest);
  }
  fresh = true;
  return rings_[origin];
}

void event_window::mark(ring& r, std::uint64_t seq) {
  const auto slot = seq % span;
  r.bits[slot / 64] |= std::uint64_t{1} << (slot % 64);
}

bool event_window::marked(const ring& r, std::uint64_t seq) {
  const auto slot = seq % span;
  return (r.bits[slot / 64] >> (slot % 64)) & 1;
}

void event_window::advance(ring& r, std::uint64_t seq) {
  if (seq - r.top >= span) {
    std::fill(r.bits.begin(), r.bits.end(), 0);
  } else {
    // Usually one step; whole words at a time where a gap spans them.
    for (std::uint64_t s = r.top + 1; s <= seq;) {
      const auto slot = s % span;
      if (slot % 64 == 0 && seq - s >= 63) {
        r.bits[slot / 64] = 0;
        s += 64;
      } else {
        r.bits[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
        ++s;
      }
    }
  }
  r.top = seq;
}

}  // namespace clasp::router
