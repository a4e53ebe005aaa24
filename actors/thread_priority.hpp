// Scheduling priority of the router's threads. The hot path runs on the socket
// threads; the actor threads do control work (handshakes, timers, paced sync
// answers, persistence) that may come in CPU bursts. With several routers on
// one core, a socket thread that wakes while such a burst runs should preempt
// it at once rather than wait out the scheduler's slice: the actor threads
// therefore run at a lower priority (a higher Linux nice value).
#pragma once

#include <caf/actor_system.hpp>
#include <caf/thread_hook.hpp>

namespace clasp::actors {

// Sets the calling thread's nice value (Linux: per thread). False if refused.
bool set_current_thread_nice(int nice_value);

// Installed with actor_system_config::add_thread_hook<actor_thread_priority>(nice):
// every thread the actor system starts runs at `nice`.
class actor_thread_priority final : public caf::thread_hook {
 public:
  explicit actor_thread_priority(int nice_value) : nice_(nice_value) {}
  void init(caf::actor_system&) override {}
  void thread_started() override { set_current_thread_nice(nice_); }
  void thread_terminates() override {}

 private:
  int nice_;
};

}  // namespace clasp::actors
