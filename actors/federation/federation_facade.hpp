// A small synchronous C++ API over the federation manager's queries, for code
// that embeds a router and is not an actor (tools, tests, host applications).
// Each call is one typed request with a timeout; a manager that does not answer
// in time (or is gone) yields an error instead of a value, never a hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/federation/federation_interfaces.hpp"

namespace clasp::actors {

// A value, or why there is none (timeout, manager gone, bad answer).
template <class T>
class query_result {
 public:
  static query_result success(T value) { return query_result{std::move(value), {}}; }
  static query_result failure(std::string why) {
    return query_result{std::nullopt, std::move(why)};
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  query_result(std::optional<T> value, std::string error)
      : value_(std::move(value)), error_(std::move(error)) {}
  std::optional<T> value_;
  std::string error_;
};

// One row of the peer table, as GET /federation/peers shows it.
struct peer_summary {
  std::string router_id;
  std::string state;
  std::vector<std::string> namespaces;
  bool outbound = false;
  std::string endpoint;
  std::uint32_t reconnect_attempts = 0;
  std::string last_error;
};

class federation_facade {
 public:
  federation_facade(caf::actor_system& sys, federation_manager_actor manager,
                    std::chrono::milliseconds timeout = std::chrono::seconds(3));

  // Router ids of the peers whose link is Active.
  query_result<std::vector<std::string>> active_peers() const;
  // Peers not Failed or Disconnected.
  query_result<std::uint32_t> peer_count() const;
  // The peer's row; an empty optional if the manager does not know that router.
  query_result<std::optional<peer_summary>> peer_info(const std::string& router_id) const;
  // Whether an update of `address` that came from `origin` ("" = local) goes to any peer.
  query_result<bool> should_forward(const std::string& address, const std::string& origin) const;
  // Router ids of the peers that receive such an update.
  query_result<std::vector<std::string>> peers_for_address(const std::string& address,
                                                           const std::string& origin) const;

 private:
  caf::actor_system& sys_;
  federation_manager_actor manager_;
  std::chrono::milliseconds timeout_;
};

}  // namespace clasp::actors
