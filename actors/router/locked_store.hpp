// The router's shared, locked state: the store's router_core behind the store
// lock. The hot path runs on the I/O thread that read the frames: a session on
// the direct route decodes and applies its reads here, with no actor message
// and no thread hand-off per read. The store actor does everything else with
// the core (attach and detach, routing, timers, paced answers, persistence
// copies) through run(), under the same lock, so the core sees one operation
// at a time and each session's operations in the order it sent them. Nothing
// else takes this lock, and the mutex never leaves this class.
//
// Lock order (a thread holding one may take the ones after it, never before):
//   1. session_bridge::mutex_ (actors/connection_bridge.hpp): held by an I/O
//      thread for one read, or by the store thread while it applies a
//      session's held reads (go_direct); both then take the store lock.
//   2. the store lock (here): held while router_core runs. Every hold is
//      bounded: work that grows with the table runs in slices with the lock
//      released in between (router_core_paced.cpp, purge and persistence
//      slices in state_store_actor.cpp).
//   3. a connection's outbound-queue mutex (transport/ws_connection.cpp):
//      taken inside connection::send()/stats() for a queue push or a read of
//      its counters; it never calls back into the core or the bridge (the
//      socket write and any close are posted to the I/O thread).
// CAF mailboxes (sends under the store lock) take no lock of ours. The
// persistence actor takes none of these: it gets persist_batch messages,
// copies made in slices under the store lock.
//
// Priority: every thread that takes the store lock runs at the same, normal
// priority (nice 0): the I/O threads, and the store actor's own thread (it is
// detached; see actors/thread_priority.hpp). So a holder is never preempted
// for a lowered-priority reason while a socket thread waits for it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "actors/router/router_core.hpp"
#include "actors/router/router_interfaces.hpp"
#include "actors/router/write_admission.hpp"
#include "transport/connection.hpp"

namespace clasp::actors {

class session_bridge;

class locked_store {
 public:
  // How long a paced answer waits before its next slice (the queue drains meanwhile).
  static constexpr std::chrono::milliseconds pump_interval{2};

  // Decodes frames [from, to) of `batch`, read from session `id`, and has the
  // core handle them in order (an undecodable frame is answered with an ERROR
  // in its place). Does nothing once the store has closed it. Returns where it
  // stopped: `to`, or the first client write the persistence backlog had no
  // room for (write_admission); `waiter` is then parked and resumed later.
  std::size_t apply(std::uint64_t session, const transport::frame_batch& batch, std::size_t from,
                    std::size_t to, const std::weak_ptr<session_bridge>& waiter = {});

  // For the store actor: runs f(core) under the store lock. Only while open.
  template <class F>
  decltype(auto) run(F&& f) {
    std::lock_guard<std::mutex> lock(mutex_);
    return f(*core_);
  }
  // For the store actor, between two slices of one long piece of work: lets
  // the I/O threads already waiting for the lock take it first (a mutex gives
  // no such turn by itself: the releasing thread would usually win it back).
  void yield_to_waiters();

  // Opens the locked store on `core`, owned by `store` (which paces answers).
  void open(router::router_core* core, state_store_actor store);
  // The store is going: later apply() calls do nothing. Takes the lock.
  void close();
  // Lock held (inside run()): true when paced answers wait and no pump is
  // scheduled yet; the caller then schedules one (pump_ran() clears the mark).
  bool claim_pump();
  void pump_ran() { pump_scheduled_ = false; }
  // Lock held (inside run()): the backpressure from persistence to clients.
  write_admission& admission() { return admission_; }

 private:
  std::mutex mutex_;
  router::router_core* core_ = nullptr;  // null: closed
  state_store_actor owner_;
  bool pump_scheduled_ = false;
  write_admission admission_;
  std::atomic<int> io_waiting_{0};            // apply() calls waiting for the lock
  std::atomic<std::uint64_t> io_entered_{0};  // apply() calls that got it
};

}  // namespace clasp::actors
