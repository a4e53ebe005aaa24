// The connection actors a router runs (client sessions, inbound peer links):
// each is tracked from the moment it is spawned until it ends, so shutdown
// and POST /admin/kill?actor=session reach exactly the live ones. (A handle's
// control block outlives the actor while timers still point at it, so
// "can I still get a strong pointer" is not "is it alive".)
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/fwd.hpp>

namespace clasp::app {

class live_actor_set : public std::enable_shared_from_this<live_actor_set> {
 public:
  // Tracks `handle` until it ends (at once forgotten if it already has).
  template <class Handle>
  void add(const Handle& handle) {
    add_actor(caf::actor_cast<caf::strong_actor_ptr>(handle));
  }
  // Kills every tracked actor; answers how many were alive.
  std::uint32_t kill_all();
  std::size_t size() const;

 private:
  void add_actor(caf::strong_actor_ptr actor);

  mutable std::mutex mutex_;
  std::map<caf::actor_id, caf::actor_addr> alive_;
};

}  // namespace clasp::app
