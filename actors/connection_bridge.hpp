// Connects a transport connection to the actors. Until the session actor has
// seen the handshake, reads go to it; then a client session's reads are decoded
// on the I/O thread and go straight to the state store (one hop less per
// message), while federation peers stay on the session actor.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "actors/router/router_interfaces.hpp"
#include "transport/connection.hpp"

namespace clasp::actors {

class session_bridge final : public transport::connection_handler {
 public:
  // Set once, before the connection starts reading.
  void set_session(frame_sink_actor session) { session_ = std::move(session); }

  void on_frames(transport::frame_batch batch) override;
  void on_closed(std::string reason) override;

  // Called by the session actor once it has handled the first read: later reads
  // (including any held meanwhile, in order) go decoded to the store...
  void go_direct(state_store_actor store, std::uint64_t session_id);
  // ...or keep going to the session actor.
  void go_actor();

 private:
  enum class route { first_read, holding, direct, actor };
  void forward_to_store(transport::frame_batch& batch);  // mutex held

  std::mutex mutex_;
  route route_ = route::first_read;
  frame_sink_actor session_;
  state_store_actor store_;
  std::uint64_t session_id_ = 0;
  std::deque<transport::frame_batch> held_;
};

// Process-wide unique ids for sessions and links (never 0).
std::uint64_t next_session_id();
// The session id a client sees in WELCOME.
std::string session_name(std::uint64_t id);

}  // namespace clasp::actors
