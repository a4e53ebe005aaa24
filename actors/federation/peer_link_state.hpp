// Internal to the peer link actor (peer_link_actor.cpp, peer_link_frames.cpp):
// its state and the steps both files share. Includes CAF; nothing else
// should include it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"
#include "actors/errors.hpp"
#include "actors/federation/link_state_machine.hpp"
#include "actors/federation/peer_link_actor.hpp"

namespace clasp::actors::link_detail {

// Where the declaration exchange is, inside the machine's Connecting and
// Handshaking (the machine itself says what to report).
enum class handshake_step {
  connecting,            // outbound: the connector is running
  awaiting_welcome,      // outbound: our HELLO went out
  awaiting_declare_ack,  // outbound: our DeclareNamespaces went out
  awaiting_declaration,  // inbound: WELCOME went out; the peer declares next
  declared,              // the exchange is done; data flows
};

struct link_state {
  peer_link_deps deps;
  bool outbound = true;
  std::string endpoint;  // outbound: the URL we dial; inbound: the peer's address
  handshake_step step = handshake_step::connecting;
  federation::link_state_machine fsm = federation::link_state_machine::outbound();
  std::uint64_t id = 0;
  std::string session_label;  // the session name the peer saw in WELCOME (inbound)
  transport::connection_ptr conn;
  std::shared_ptr<session_bridge> bridge;
  // The neighbour: its router id (outbound: its session id until it names
  // itself), what it declared, and its route capability.
  std::string peer_id;
  std::vector<std::string> peer_patterns;
  federation::neighbour_hello hello;
  bool named = false;  // outbound: the hub told us its router id
  std::string last_error;
  std::uint64_t up_since_us = 0;  // when the transport came up (actor clock)
  bool closing = false;           // we sent a refusal and closed; reads are ignored
  // Redundant with another link to the same router (see stand_down_atom);
  // the generation tells a revoked stand-down's timer from a current one.
  bool standing_down = false;
  std::uint64_t stand_down_generation = 0;
  // An identity probe in flight: when its PING went out, the bridge's last
  // read stamp at that moment, and who waits for the answer.
  std::uint64_t probe_sent_us = 0;
  std::uint64_t probe_read_mark = 0;
  std::vector<caf::typed_response_promise<bool>> probe_waiters;
  static inline const char* name = "peer_link";
};

using link_self = peer_link_actor::stateful_pointer<link_state>;

// The actor clock: the steady clock the bridge stamps reads with, except
// under CAF's testing scheduler, where it is the virtual clock.
std::uint64_t now_us(link_self self);

// How the peer table knows this link: the URL (outbound) or "in:<id>".
std::string status_key(const link_state& st);
// Sends the current status to whoever keeps the table for this end.
void report(link_self self);
void on_event(link_self self, federation::link_event e);

void send_direct(link_self self, const message& m, codec::qos q = codec::qos::confirm);
void send_error_direct(link_self self, std::uint16_t code, std::string text);
// Our DeclareNamespaces: our own namespaces (outbound, and towards a router
// that speaks route advertisements), or what we reach (another
// implementation's router, which learns routes only from it).
void send_declaration(link_self self, std::vector<std::string> patterns);
// Refuses and closes (the peer gets the ERROR first); the link ends when the
// close completes.
void close_with_error(link_self self, std::uint16_t code, std::string text);
// Ends the link now: Disconnected with `why`, socket aborted.
void fail(link_self self, std::string why, ec code = ec::link_down);

// Handles frames [index, end) of one read; see peer_link_frames.cpp.
void process_frames(link_self self, std::shared_ptr<transport::frame_batch> batch, std::size_t index);

}  // namespace clasp::actors::link_detail
