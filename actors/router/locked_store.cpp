// The shared, locked router_core; see locked_store.hpp.
#include "actors/router/locked_store.hpp"

#include <thread>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"

namespace clasp::actors {

namespace {
// The longest the store thread stands aside for waiting I/O threads: long
// enough for a woken thread to get scheduled, short enough that a busy router
// still makes progress on its timers and paced answers.
constexpr auto max_yield = std::chrono::microseconds(500);
}  // namespace

void locked_store::open(router::router_core* core, state_store_actor store) {
  std::lock_guard<std::mutex> lock(mutex_);
  core_ = core;
  owner_ = std::move(store);
}

void locked_store::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  core_ = nullptr;
  owner_ = nullptr;  // the store's state holds this object: no cycle left behind
}

bool locked_store::claim_pump() {
  if (pump_scheduled_ || !core_ || !core_->has_pending_syncs()) return false;
  pump_scheduled_ = true;
  return true;
}

void locked_store::yield_to_waiters() {
  if (io_waiting_.load(std::memory_order_acquire) == 0) return;
  const auto entered = io_entered_.load(std::memory_order_acquire);
  const auto deadline = std::chrono::steady_clock::now() + max_yield;
  while (io_waiting_.load(std::memory_order_acquire) > 0 &&
         io_entered_.load(std::memory_order_acquire) == entered &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
}

void locked_store::apply(std::uint64_t session, const transport::frame_batch& batch, std::size_t from,
                         std::size_t to) {
  codec::decoded_frame f;  // reused: its buffers outlive each frame
  codec::decode_error err;
  io_waiting_.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard<std::mutex> lock(mutex_);
  io_waiting_.fetch_sub(1, std::memory_order_acq_rel);
  io_entered_.fetch_add(1, std::memory_order_acq_rel);
  if (!core_) return;
  core_->pin_clock(router::router_core::clock_now_us());
  for (std::size_t i = from; i < to; ++i) {
    if (codec::decode_frame(batch.frame(i), f, err)) {
      core_->handle(session, std::move(f.msg), f.header.quality);
    } else {
      msg::error e;
      e.code = err.code;
      e.message = err.reason;
      core_->send_refusal(session, e);
    }
  }
  core_->pin_clock(0);
  if (claim_pump()) caf::delayed_anon_send(owner_, pump_interval, pump_atom_v);
}

}  // namespace clasp::actors
