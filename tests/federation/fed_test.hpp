// Shared pieces of the federation end-to-end tests: starting hubs and leaves,
// waiting on /federation/peers, and wire helpers for clients and hostile peers.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/router_process.hpp"
#include "tests/support/wire_client.hpp"

namespace clasp::fedtest {

using test::millis;
using test::router_process;
using test::wire_client;
using json = nlohmann::json;

// Generous bound for a condition that normally holds within milliseconds.
inline constexpr millis converge_timeout{10000};

// `clasp server` arguments for a hub with router id `id`.
std::vector<std::string> hub_args(const std::string& id, std::vector<std::string> extra = {});
// `clasp server` arguments for a leaf of the hub at `hub_port` owning `ns`.
std::vector<std::string> leaf_args(std::uint16_t hub_port, const std::string& ns, const std::string& id,
                                   std::vector<std::string> extra = {});

// GET /federation/peers as JSON (null when the request or the parse failed).
json peers_of(std::uint16_t port);
// The entry for `router_id` in a peers array, or null.
json peer_entry(const json& peers, const std::string& router_id);
// True if `router_id` is Active and (when given) lists `ns` among its namespaces.
bool peer_active(const json& peers, const std::string& router_id, const std::string& ns = "");
// Polls /federation/peers until `pred` holds or `timeout` passes; on failure
// `last` holds the last listing for the failure message.
bool wait_peers(std::uint16_t port, const std::function<bool(const json&)>& pred, millis timeout,
                std::string* last = nullptr);

// Hub "hub", leaf "site-a" owning /site-a/**, leaf "site-b" owning /site-b/**,
// fully converged (both links Active, each leaf knows the other's namespace).
class three_routers : public ::testing::Test {
 protected:
  void SetUp() override;
  // Extra arguments for every leaf / the hub (set before SetUp runs, in a subclass ctor).
  std::vector<std::string> leaf_extra_;
  std::vector<std::string> hub_extra_;

  // Waits until the three routers see each other Active; fails the test otherwise.
  void expect_converged(millis timeout = converge_timeout);

  std::unique_ptr<router_process> hub_, a_, b_;
};

// A client that finished HELLO -> WELCOME at `port`.
std::unique_ptr<wire_client> client_at(std::uint16_t port, const std::string& name = "fed-test");

// SUBSCRIBE, then waits until the router has processed it (a GET answered
// after it), discarding the initial SNAPSHOT.
bool subscribe_live(wire_client& c, std::uint32_t id, const std::string& pattern,
                    std::uint8_t types = type_mask::all);

// Sends SET (QoS confirm) and returns the ACK or ERROR naming its address.
std::optional<message> set_reply(wire_client& c, const msg::set& s, millis timeout = test::default_timeout);
// A SET that must be acknowledged; the ACK's revision (0 and a test failure otherwise).
revision_t set_ok(wire_client& c, const std::string& address, value v);
msg::set make_set(const std::string& address, value v);

// GET: the param, or nullopt with the ERROR code in `error_code` (0 if no reply).
std::optional<param_entry> get_param(wire_client& c, const std::string& address,
                                     std::uint16_t* error_code = nullptr);
// Polls GET until the param holds `expected` (and, if set, at least `min_revision`).
bool wait_value(wire_client& c, const std::string& address, const value& expected, millis timeout,
                revision_t min_revision = 0);
// Polls GET until the param is unknown (ERROR 201).
bool wait_absent(wire_client& c, const std::string& address, millis timeout);

// One delivery of an address to a subscriber.
struct delivery {
  message_type kind;  // SET, SNAPSHOT or PUBLISH
  value val;
  std::optional<revision_t> revision;
};
// Deliveries of `address`: waits up to `first` for the first one, then
// counts everything else arriving within `window` after it.
std::vector<delivery> deliveries(wire_client& c, const std::string& address, millis first, millis window);
std::string describe(const std::vector<delivery>& d);

// A fresh client can still SET and GET at `port` (the router survived a refusal).
void expect_serves_clients(std::uint16_t port);

// A hand-driven federation peer, for wire-level hostile tests.
class raw_peer {
 public:
  // Connects and sends HELLO with the federation bit; true on WELCOME.
  bool join(std::uint16_t port, const std::string& token = "");
  // Sends DeclareNamespaces(patterns, origin) and returns the first ACK or ERROR.
  std::optional<message> declare(const std::vector<std::string>& patterns, const std::string& origin);
  // join + declare that must be ACKed; then answers the hub's RequestSync
  // with SyncComplete so the peer becomes Active.
  bool join_as(std::uint16_t port, const std::string& id, const std::vector<std::string>& patterns);
  // Next ERROR (other frames skipped), or nullopt.
  std::optional<msg::error> next_error(millis timeout = test::default_timeout);
  wire_client& wire() { return c_; }

 private:
  wire_client c_;
};

msg::federation_sync fed_sync(federation_op op, std::vector<std::string> patterns = {},
                              std::optional<std::string> origin = std::nullopt);

}  // namespace clasp::fedtest
