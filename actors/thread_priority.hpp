// Scheduling priority of the router's threads. The hot path runs on the socket
// threads; the shared actor threads do control work (handshakes, timers,
// federation bookkeeping) that may come in CPU bursts. With several routers on
// one core, a socket thread that wakes while such a burst runs should preempt
// it at once rather than wait out the scheduler's slice: the scheduler's
// threads therefore run at a lower priority (a higher Linux nice value).
//
// No priority inversion: the store lock (actors/router/locked_store.hpp) is
// taken only by the socket threads and the store actor, which is detached. A
// detached actor's thread keeps the priority of the thread that spawned it
// (the router's main thread, nice 0) unless it lowers itself (persistence:
// nice 10, and it never takes the store lock). So whoever holds the store lock
// runs at the same priority as the socket threads waiting for it.
#pragma once

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/thread_hook.hpp>

namespace clasp::actors {

// Sets the calling thread's nice value (Linux: per thread). False if refused.
bool set_current_thread_nice(int nice_value);
// The calling thread's nice value, if it can be read.
std::optional<int> current_thread_nice();
// True on the thread of a detached actor (CAF names it "caf.actor").
bool on_detached_actor_thread();

// Installed with actor_system_config::add_thread_hook<actor_thread_priority>(nice):
// every thread the actor system starts runs at `nice`, except detached actors' threads.
class actor_thread_priority final : public caf::thread_hook {
 public:
  explicit actor_thread_priority(int nice_value) : nice_(nice_value) {}
  void init(caf::actor_system&) override {}
  void thread_started() override {
    if (!on_detached_actor_thread()) set_current_thread_nice(nice_);
  }
  void thread_terminates() override {}

 private:
  int nice_;
};

}  // namespace clasp::actors
