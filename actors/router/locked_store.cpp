// The locked hot path into router_core; see locked_store.hpp.
#include "actors/router/locked_store.hpp"

#include <caf/all.hpp>

#include "actors/actor_types.hpp"

namespace clasp::actors {

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

void locked_store::apply(std::uint64_t session, const transport::frame_batch& batch, std::size_t from,
                       std::size_t to) {
  codec::decoded_frame f;  // reused: its buffers outlive each frame
  codec::decode_error err;
  std::lock_guard<std::mutex> lock(mutex_);
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
