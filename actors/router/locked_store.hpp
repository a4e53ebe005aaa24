// The state store's router_core behind one mutex, so the hot path can run on
// the I/O thread that read the frames: a session on the direct route decodes
// and applies its reads here, with no actor message and no thread hand-off per
// read. The store actor takes the same lock for everything else (attach and
// detach, routing, timers, paced sync answers), so the core still sees one
// operation at a time and each session's operations in the order it sent them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "actors/router/router_core.hpp"
#include "actors/router/router_interfaces.hpp"
#include "transport/connection.hpp"

namespace clasp::actors {

class locked_store {
 public:
  // How long a paced answer waits before its next parts (the queue drains meanwhile).
  static constexpr std::chrono::milliseconds pump_interval{2};

  // Decodes frames [from, to) of `batch`, read from session `id`, and has the
  // core handle them in order (an undecodable frame is answered with an ERROR
  // in its place). Does nothing once the store has closed it.
  void apply(std::uint64_t session, const transport::frame_batch& batch, std::size_t from,
             std::size_t to);

  // For the store actor.
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  // Opens the locked store on `core`, owned by `store` (which paces sync answers).
  void open(router::router_core* core, state_store_actor store);
  // The store is going: later apply() calls do nothing. Takes the lock.
  void close();
  // Lock held: true when sync answers wait and no pump is scheduled yet; the
  // caller then schedules one (and pump_ran() clears the mark when it runs).
  bool claim_pump();
  void pump_ran() { pump_scheduled_ = false; }

 private:
  std::mutex mutex_;
  router::router_core* core_ = nullptr;  // null: closed
  state_store_actor owner_;
  bool pump_scheduled_ = false;
};

}  // namespace clasp::actors
