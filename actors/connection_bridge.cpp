// Socket-to-actor routing for one connection; see connection_bridge.hpp.
#include "actors/connection_bridge.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/router/locked_store.hpp"

namespace clasp::actors {

namespace {

std::uint64_t steady_now_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// True for a FEDERATION_SYNC DeclareNamespaces or route advertisement frame
// (checked on raw bytes): both need the federation manager.
bool is_declaration(std::string_view frame) {
  if (frame.size() < 4 || static_cast<std::uint8_t>(frame[0]) != codec::magic) return false;
  const std::size_t offset = (static_cast<std::uint8_t>(frame[1]) & 0x20) ? 12 : 4;
  if (frame.size() <= offset + 1 || static_cast<std::uint8_t>(frame[offset]) != 0x04) return false;
  const auto op = static_cast<std::uint8_t>(frame[offset + 1]);
  return op == static_cast<std::uint8_t>(federation_op::declare_namespaces) ||
         op == static_cast<std::uint8_t>(federation_op::route_advert);
}

// Frames [from, end) of `batch` as a batch of their own.
transport::frame_batch tail_of(const transport::frame_batch& batch, std::size_t from) {
  transport::frame_batch out;
  for (std::size_t i = from; i < batch.size(); ++i) {
    auto f = batch.frame(i);
    out.spans.emplace_back(static_cast<std::uint32_t>(out.bytes.size()), static_cast<std::uint32_t>(f.size()));
    out.bytes.append(f.data(), f.size());
  }
  return out;
}

}  // namespace

void session_bridge::hand_to_owner(transport::frame_batch batch) {
  route_ = route::owner_busy;
  caf::anon_send(session_, frames_in{std::make_shared<transport::frame_batch>(std::move(batch))});
}

void session_bridge::on_frames(transport::frame_batch batch) {
  last_read_us_.store(steady_now_us(), std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mutex_);
  if (batch.size() == 0) return;
  switch (route_) {
    case route::to_owner:
      hand_to_owner(std::move(batch));
      return;
    case route::owner_busy:
      if (overflowed_) return;
      held_bytes_ += batch.bytes.size();
      if (held_bytes_ > max_held_read_bytes) {
        overflowed_ = true;
        held_.clear();
        held_bytes_ = 0;
        spdlog::warn("a federation peer sent more than {} MiB while its DeclareNamespaces was being "
                     "handled: closing its session",
                     max_held_read_bytes >> 20);
        caf::anon_send(session_, connection_closed{"inbound overflow while a declaration was handled"});
        return;
      }
      held_.push_back(std::move(batch));
      return;
    case route::direct:
      if (writes_held_) {
        held_.push_back(std::move(batch));  // read before the pause took hold: in order
        return;
      }
      apply_direct(batch);
      return;
  }
}

void session_bridge::apply_direct(transport::frame_batch& batch) {
  std::size_t end = batch.size();
  if (divert_declarations_)
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (is_declaration(batch.frame(i))) {
        end = i;
        break;
      }
  const std::size_t applied = end > 0 ? store_->apply(session_id_, batch, 0, end, weak_from_this()) : 0;
  if (applied < end) {
    // Held back for the disk: the rest of this read goes first when resumed,
    // and TCP holds the client back meanwhile (never dropped, never refused).
    writes_held_ = true;
    held_.push_front(tail_of(batch, applied));
    held_bytes_ += held_.front().bytes.size();
    if (auto conn = conn_.lock()) conn->pause_reading();
    return;
  }
  if (end < batch.size()) hand_to_owner(tail_of(batch, end));
}

void session_bridge::resume_writes() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!writes_held_ || closed_ || route_ != route::direct) return;
  writes_held_ = false;
  while (!held_.empty() && route_ == route::direct && !writes_held_) {
    auto batch = std::move(held_.front());
    held_.pop_front();
    held_bytes_ -= std::min(held_bytes_, batch.bytes.size());
    apply_direct(batch);
  }
  if (!writes_held_)
    if (auto conn = conn_.lock()) conn->resume_reading();
}

void session_bridge::go_direct(std::shared_ptr<locked_store> store, std::uint64_t session_id,
                               bool divert_declarations) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!session_) return;  // closed meanwhile
  store_ = std::move(store);
  session_id_ = session_id;
  divert_declarations_ = divert_declarations;
  route_ = route::direct;
  while (!held_.empty() && route_ == route::direct && !writes_held_) {
    auto batch = std::move(held_.front());
    held_.pop_front();
    held_bytes_ -= std::min(held_bytes_, batch.bytes.size());
    apply_direct(batch);
  }
}

void session_bridge::next_to_owner() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (held_.empty()) {
    route_ = route::to_owner;
    return;
  }
  // Everything held so far, in order, as one read.
  transport::frame_batch merged;
  for (auto& batch : held_)
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto f = batch.frame(i);
      merged.spans.emplace_back(static_cast<std::uint32_t>(merged.bytes.size()),
                                static_cast<std::uint32_t>(f.size()));
      merged.bytes.append(f.data(), f.size());
    }
  held_.clear();
  held_bytes_ = 0;
  hand_to_owner(std::move(merged));
}

void session_bridge::hand_over(frame_sink_actor next_owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) {
    caf::anon_send(next_owner, connection_closed{close_reason_});
    return;
  }
  session_ = std::move(next_owner);
}

void session_bridge::on_closed(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  close_reason_ = reason;
  if (session_) caf::anon_send(session_, connection_closed{std::move(reason)});
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
