// Deterministic actor tests: CAF's testing scheduler runs every actor on the
// test's own thread, one message at a time, and delayed messages (timers,
// request timeouts) fire only when the test moves the virtual clock. No
// sockets, no threads, no sleeps: a test says "a second passes" and the
// actors see exactly that.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/actor_types.hpp"

namespace clasp::testing {

class virtual_time : public ::testing::Test {
 protected:
  using clock_type = caf::actor_clock::clock_type;

  virtual_time()
      : sys_(configure(cfg_)),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())),
        self_(sys_, /*hide=*/true) {
    // An actor left alive by a failing test must not hang the shutdown.
    sys_.await_actors_before_shutdown(false);
    // Virtual time starts at the real steady time: a connection's bridge
    // stamps reads with the steady clock, which actors compare with theirs.
    sched_.clock().current_time = clock_type::now();
    start_ = sched_.clock().current_time;
  }

  ~virtual_time() override {
    for (auto& a : spawned_) caf::anon_send_exit(a, caf::exit_reason::kill);
    run();
  }

  caf::actor_system& sys() { return sys_; }
  caf::scheduler::test_coordinator& sched() { return sched_; }

  // Ends `h` with the test (whatever state the test left it in).
  template <class Handle>
  Handle keep(Handle h) {
    spawned_.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  // Delivers every message waiting in a mailbox, and those they cause, without
  // moving the clock. Returns how many were handled.
  std::size_t run() { return sched_.run(); }

  // Moves the virtual clock forward by `d`, one due timer at a time in time
  // order (a timer a handler sets while we advance fires if it falls inside
  // `d`), running the actors after each.
  void advance(caf::timespan d) {
    auto& clock = sched_.clock();
    const auto until = clock.current_time + d;
    run();
    while (!clock.schedule().empty() && clock.schedule().begin()->first <= until) {
      const auto due = clock.schedule().begin()->first;
      if (due > clock.current_time) clock.current_time = due;
      clock.trigger_timeout();
      run();
    }
    clock.current_time = until;
  }

  // Virtual time since the test began.
  std::chrono::milliseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(sched_.clock().current_time - start_);
  }

  // Sends `request` from the test, runs the actors, and returns the answer
  // (a failed test and a default T if there was none or an error).
  template <class T, class Handle, class... Ts>
  T ask(const Handle& dest, Ts&&... xs) {
    auto answer = self_->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    run();
    T out{};
    if (self_->mailbox().empty()) {  // receiving now would block for good
      ADD_FAILURE() << "no answer";
      return out;
    }
    answer.receive([&](T& x) { out = std::move(x); },
                   [&](caf::error& err) { ADD_FAILURE() << "request failed: " << sys_.render(err); });
    return out;
  }

  // Sends a message from the test (no reply expected).
  template <class Handle, class... Ts>
  void tell(const Handle& dest, Ts&&... xs) {
    self_->send(dest, std::forward<Ts>(xs)...);
  }

  // Ends `dest` with `reason`, as a supervisor or the manager would.
  template <class Handle>
  void end_with(const Handle& dest, caf::error reason) {
    self_->send_exit(dest, std::move(reason));
  }

  // Whether `h` has ended, and with what reason (empty while alive).
  struct exit_watch {
    bool down = false;
    caf::error reason;
  };
  template <class Handle>
  std::shared_ptr<exit_watch> watch(const Handle& h) {
    auto w = std::make_shared<exit_watch>();
    auto target = caf::actor_cast<caf::actor>(h);
    auto watcher = sys_.spawn([w, target](caf::event_based_actor* self) -> caf::behavior {
      self->monitor(target);
      self->set_down_handler([w, self](caf::down_msg& d) {
        w->down = true;
        w->reason = d.reason;
        self->quit();
      });
      return {[](caf::ok_atom) {}};
    });
    keep(watcher);
    run();
    return w;
  }

 private:
  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    c.add_message_types<caf::id_block::clasp_actors>();
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.console", caf::atom("none"));
    c.set("logger.file-verbosity", caf::atom("quiet"));
    return c;
  }

  caf::actor_system_config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  caf::scoped_actor self_;
  clock_type::time_point start_;
  std::vector<caf::actor> spawned_;
};

}  // namespace clasp::testing
