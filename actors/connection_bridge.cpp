// The socket-to-actor bridge: one anon_send per socket read.
#include "actors/connection_bridge.hpp"

#include <atomic>
#include <random>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"

namespace clasp::actors {

namespace {
class actor_bridge final : public transport::connection_handler {
 public:
  explicit actor_bridge(caf::actor target) : target_(std::move(target)) {}
  void on_frames(transport::frame_batch batch) override {
    caf::anon_send(target_, frames_in{std::make_shared<transport::frame_batch>(std::move(batch))});
  }
  void on_closed(std::string reason) override {
    caf::anon_send(target_, connection_closed{std::move(reason)});
    target_ = nullptr;  // drop the reference so the actor can go away
  }

 private:
  caf::actor target_;
};

std::string random_prefix() {
  std::random_device rd;
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(rd()));
  return buf;
}
}  // namespace

std::shared_ptr<transport::connection_handler> make_connection_bridge(caf::actor target) {
  return std::make_shared<actor_bridge>(std::move(target));
}

std::uint64_t next_session_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

std::string session_name(std::uint64_t id) {
  static const std::string prefix = random_prefix();
  return prefix + "-" + std::to_string(id);
}

}  // namespace clasp::actors
