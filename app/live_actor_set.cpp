#include "app/live_actor_set.hpp"

#include <vector>

#include <caf/all.hpp>

namespace clasp::app {

void live_actor_set::add_actor(caf::strong_actor_ptr actor) {
  if (!actor) return;
  const auto id = actor->id();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    alive_.emplace(id, actor->address());
  }
  // Outside the lock: an actor that already ended runs the functor right here.
  std::weak_ptr<live_actor_set> self = shared_from_this();
  actor->get()->attach_functor([self, id] {
    if (auto set = self.lock()) {
      std::lock_guard<std::mutex> lock(set->mutex_);
      set->alive_.erase(id);
    }
  });
}

std::uint32_t live_actor_set::kill_all() {
  std::vector<caf::actor_addr> targets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, addr] : alive_) targets.push_back(addr);
  }
  std::uint32_t n = 0;
  for (auto& addr : targets)
    if (auto ptr = caf::actor_cast<caf::strong_actor_ptr>(addr)) {
      caf::anon_send_exit(ptr, caf::exit_reason::kill);
      ++n;
    }
  return n;
}

std::size_t live_actor_set::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return alive_.size();
}

}  // namespace clasp::app
