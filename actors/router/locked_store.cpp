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

namespace {
// The messages that change params: what the persistence backlog is made of.
bool is_write(const message& m) { return m.is<msg::set>() || m.is<msg::bundle>(); }
}  // namespace

std::size_t locked_store::apply(std::uint64_t session, const transport::frame_batch& batch,
                                std::size_t from, std::size_t to,
                                const std::weak_ptr<session_bridge>& waiter) {
  codec::decoded_frame f;  // reused: its buffers outlive each frame
  codec::decode_error err;
  io_waiting_.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard<std::mutex> lock(mutex_);
  io_waiting_.fetch_sub(1, std::memory_order_acq_rel);
  io_entered_.fetch_add(1, std::memory_order_acq_rel);
  if (!core_) return to;
  core_->pin_clock(router::router_core::clock_now_us());
  std::size_t i = from;
  for (; i < to; ++i) {
    if (codec::decode_frame(batch.frame(i), f, err)) {
      // Checked before the write is applied (and ACKed): a client's ACK never
      // runs further ahead of the disk than the backlog limit. Links are not
      // held back: their writes were ACKed by their owner, not here.
      if (is_write(f.msg) && !admission_.admits_write(core_->changed_param_count()) &&
          core_->is_client(session) && !waiter.expired()) {
        admission_.count_refusal();
        admission_.park(waiter);
        break;
      }
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
  return i;
}

}  // namespace clasp::actors
