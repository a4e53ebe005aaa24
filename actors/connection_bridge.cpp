// Socket-to-actor routing for one connection; see connection_bridge.hpp.
#include "actors/connection_bridge.hpp"

#include <atomic>
#include <random>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"

namespace clasp::actors {

void session_bridge::on_frames(transport::frame_batch batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  switch (route_) {
    case route::first_read:
      if (batch.size() > 0) route_ = route::holding;
      caf::anon_send(session_, frames_in{std::make_shared<transport::frame_batch>(std::move(batch))});
      return;
    case route::holding:
      held_.push_back(std::move(batch));
      return;
    case route::direct:
      forward_to_store(batch);
      return;
    case route::actor:
      caf::anon_send(session_, frames_in{std::make_shared<transport::frame_batch>(std::move(batch))});
      return;
  }
}

void session_bridge::forward_to_store(transport::frame_batch& batch) {
  auto ops = std::make_shared<std::vector<decoded_op>>();
  ops->reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    codec::decoded_frame f;
    codec::decode_error err;
    if (codec::decode_frame(batch.frame(i), f, err)) {
      ops->push_back({std::move(f.msg), f.header.quality});
    } else {
      // The store answers it, in order with the replies to earlier frames.
      msg::error e;
      e.code = err.code;
      e.message = err.reason;
      ops->push_back({message{std::move(e)}, codec::qos::fire, true});
    }
  }
  caf::anon_send(store_, op_batch{session_id_, std::move(ops)});
}

void session_bridge::go_direct(state_store_actor store, std::uint64_t session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  store_ = std::move(store);
  session_id_ = session_id;
  route_ = route::direct;
  for (auto& batch : held_) forward_to_store(batch);
  held_.clear();
}

void session_bridge::go_actor() {
  std::lock_guard<std::mutex> lock(mutex_);
  route_ = route::actor;
  for (auto& batch : held_)
    caf::anon_send(session_, frames_in{std::make_shared<transport::frame_batch>(std::move(batch))});
  held_.clear();
}

void session_bridge::on_closed(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  caf::anon_send(session_, connection_closed{std::move(reason)});
  // Drop the references so the actors can go away.
  session_ = nullptr;
  store_ = nullptr;
  held_.clear();
}

namespace {
std::string random_prefix() {
  std::random_device rd;
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(rd()));
  return buf;
}
}  // namespace

std::uint64_t next_session_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

std::string session_name(std::uint64_t id) {
  static const std::string prefix = random_prefix();
  return prefix + "-" + std::to_string(id);
}

}  // namespace clasp::actors
