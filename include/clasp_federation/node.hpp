// One CLASP router running inside the host process: start it from a
// node_config, query its federation state, watch its links, stop it.
// The actor system stays behind this header; see actor_handles.hpp to reach it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clasp_federation/config.hpp"
#include "clasp_federation/result.hpp"

namespace clasp_federation {

// One row of the peer table, as GET /federation/peers shows it.
struct peer_summary {
  std::string router_id;
  std::string state;  // Connecting, Handshaking, Syncing, Active, Disconnected, Failed
  std::vector<std::string> namespaces;
  bool outbound = false;  // we dialled it (leaf, mesh) rather than accepted it
  std::string endpoint;
  std::uint32_t reconnect_attempts = 0;
  std::string last_error;
};

// A peer's link changed state. `previous_state` is empty for a peer seen for the
// first time; `state` is empty when the peer left the table.
struct link_event {
  std::string router_id;
  std::string previous_state;
  std::string state;
  peer_summary peer;  // the row after the change (before it, for a peer that left)
};

// Keeps a link-event callback registered; cancel() or destruction ends it, and
// after either returns the callback is not called again.
class link_subscription {
 public:
  struct shared_state;
  link_subscription() = default;
  explicit link_subscription(std::shared_ptr<shared_state> state);
  link_subscription(link_subscription&&) noexcept = default;
  link_subscription& operator=(link_subscription&& other) noexcept;
  ~link_subscription();
  void cancel();
  bool active() const;

 private:
  std::shared_ptr<shared_state> state_;
};

class node {
 public:
  // Validates `config` (errors name the setting), starts the router and waits,
  // at most `timeout`, until it listens and its actors run.
  static result<std::unique_ptr<node>> start(
      const node_config& config, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~node();  // stop()
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // Closes every session and link, saves state, ends the actors. Idempotent;
  // bounded by the router's own shutdown waits (a few seconds at most). Not from
  // a link-event callback: the actor running it must end before stop() can.
  void stop();
  bool running() const;

  std::uint16_t port() const;
  std::string url() const;  // ws://BIND:PORT (127.0.0.1 when bound to any address)
  const std::string& router_id() const;
  federation_mode mode() const;

  // Every query waits at most this long (default 3 s) for the federation actors.
  // Queries go to the federation manager running now: after it was restarted
  // (it ended, e.g. POST /admin/kill?actor=registry) they answer again as soon
  // as its replacement runs; while it restarts they fail with the reason.
  void set_query_timeout(std::chrono::milliseconds timeout);

  // Router ids of the peers whose link is Active.
  result<std::vector<std::string>> active_peers() const;
  // Peers that are neither Failed nor Disconnected.
  result<std::uint32_t> peer_count() const;
  // The peer's row; an empty optional when no such router is known.
  result<std::optional<peer_summary>> peer_info(const std::string& router_id) const;
  // Whether an update of `address` that arrived from `origin` ("" = written
  // locally) goes to any peer, and to which.
  result<bool> should_forward(const std::string& address, const std::string& origin) const;
  result<std::vector<std::string>> peers_for_address(const std::string& address,
                                                     const std::string& origin) const;

  // Calls `on_event` (on an actor thread, one call at a time) for every peer
  // state change: the federation manager pushes its table on each change, so
  // every state a peer passes through is reported, in order. Peers already
  // known are reported first (previous_state empty). Survives a restart of the
  // federation manager: the table it starts with is compared with the last one
  // seen, so peers that went away meanwhile are reported as changes too.
  link_subscription subscribe_link_events(std::function<void(const link_event&)> on_event);

  struct impl;
  impl& internals() const { return *impl_; }  // for actor_handles.hpp

 private:
  explicit node(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace clasp_federation
