// Connects a transport connection to the actors. The owning actor (session or
// peer link) handles one read at a time while reads that arrive meanwhile
// are held; when it is done it either asks for the next read or has the store
// switch the connection to the direct route, where reads are decoded and
// applied on the I/O thread through the locked store (no actor hop per read).
// Federation declarations still go to the owner on the direct route: they need
// the federation manager before anything behind them is handled.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "actors/router/router_interfaces.hpp"
#include "transport/connection.hpp"

namespace clasp::actors {

class locked_store;

class session_bridge final : public transport::connection_handler,
                             public std::enable_shared_from_this<session_bridge> {
 public:
  // Set once, before the connection starts reading.
  void set_session(frame_sink_actor session) { session_ = std::move(session); }
  // The connection whose reads are paused while the store holds this
  // session's writes back (persistence backlog full). Set before reading starts.
  void set_connection(std::weak_ptr<transport::connection> conn) { conn_ = std::move(conn); }
  // A new owner takes over in the middle of a read (a session handing a
  // federation peer to its link actor): later reads and the close go to it.
  // Called by the new owner before it asks for the next read; if the
  // connection closed meanwhile, the new owner is told at once.
  void hand_over(frame_sink_actor next_owner);

  void on_frames(transport::frame_batch batch) override;
  void on_closed(std::string reason) override;

  // Called by the store once it has handled everything the owner sent it
  // (the owner asks with a direct_route message): later reads, held ones
  // first, go through `store`. With `divert_declarations`, a read holding a
  // FEDERATION_SYNC DeclareNamespaces goes back to the owner from that frame on.
  void go_direct(std::shared_ptr<locked_store> store, std::uint64_t session_id,
                 bool divert_declarations = false);
  // The owner finished the read it was given and wants the next one itself.
  void next_to_owner();
  // Called by the store (not holding its lock) once the persistence backlog
  // has room again: the held writes go on, then the socket is read again.
  void resume_writes();

  // When the socket last delivered anything (steady clock, microseconds).
  std::uint64_t last_read_us() const { return last_read_us_.load(std::memory_order_relaxed); }

 private:
  enum class route { to_owner, owner_busy, direct };
  void hand_to_owner(transport::frame_batch batch);      // mutex held
  void apply_direct(transport::frame_batch& batch);      // mutex held

  std::mutex mutex_;
  route route_ = route::to_owner;
  bool divert_declarations_ = false;
  frame_sink_actor session_;
  std::shared_ptr<locked_store> store_;
  std::uint64_t session_id_ = 0;
  std::deque<transport::frame_batch> held_;
  std::size_t held_bytes_ = 0;
  bool overflowed_ = false;  // held reads passed the limit: the session is being closed
  // The store refused a write (persistence backlog full): the rest of that
  // read waits at the front of held_, and the socket is not read meanwhile.
  bool writes_held_ = false;
  std::weak_ptr<transport::connection> conn_;
  bool closed_ = false;
  std::string close_reason_;
  std::atomic<std::uint64_t> last_read_us_{0};
};

// Reads held while the owner is busy (a DeclareNamespaces waiting for the
// federation manager) are bounded: past this, the session is closed rather than
// letting a peer that floods declarations grow the router's memory.
inline constexpr std::size_t max_held_read_bytes = 4u << 20;

// Process-wide unique ids for sessions and links (never 0).
std::uint64_t next_session_id();
// The session id a client sees in WELCOME.
std::string session_name(std::uint64_t id);

}  // namespace clasp::actors
