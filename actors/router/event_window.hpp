// Which federated events this router has already let through. Between our
// routers every PUBLISH carries an event id: the incarnation of the router
// that first took it from a client, and a sequence number that router counts
// up. While routes move, a second copy can arrive by another path, or an
// event can come round a cycle to where it started; the first copy of each id
// is delivered and forwarded, every later one dropped. Per origin, a ring of
// the last `span` sequence numbers answers in O(1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "messages/messages.hpp"

namespace clasp::router {

class event_window {
 public:
  // Sequence numbers remembered per origin: a copy that trails the newest
  // event of its origin by more than this is taken for a late copy, dropped.
  static constexpr std::uint64_t span = 65536;
  // Origins remembered (each a router's run); past it the least recently seen
  // one is forgotten. 256 rings take 2 MiB.
  static constexpr std::size_t max_origins = 256;

  // `self` is this router's own origin: its events never come back in.
  explicit event_window(std::uint64_t self) : self_(self) {}

  // True the first time `id` is offered (and remembers it); false for a
  // copy, for one of our own events, and for one older than the window.
  bool first_sight(const event_id& id);

  std::size_t origins() const { return rings_.size(); }

 private:
  struct ring {
    std::uint64_t top = 0;       // newest sequence number seen
    std::uint64_t last_use = 0;  // for forgetting the least recently seen origin
    std::vector<std::uint64_t> bits = std::vector<std::uint64_t>(span / 64);
  };
  ring& ring_for(std::uint64_t origin, bool& fresh);
  static void mark(ring& r, std::uint64_t seq);
  static bool marked(const ring& r, std::uint64_t seq);
  // Forgets the sequence numbers after `r.top` up to `seq` (they are new).
  static void advance(ring& r, std::uint64_t seq);

  std::uint64_t self_;
  std::uint64_t uses_ = 0;
  std::unordered_map<std::uint64_t, ring> rings_;
};

}  // namespace clasp::router
