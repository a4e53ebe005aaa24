// Synchronous queries to the federation manager through a scoped actor.
#include "actors/federation/federation_facade.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/actor_types.hpp"

namespace clasp::actors {

namespace {

// One request, waited for at most `timeout`; errors become the result's reason.
template <class T, class... Ts>
query_result<T> ask(caf::actor_system& sys, const federation_manager_actor& manager,
                    std::chrono::milliseconds timeout, Ts... xs) {
  if (!manager) return query_result<T>::failure("no federation manager (federation is off)");
  caf::scoped_actor self{sys};
  auto out = query_result<T>::failure("federation manager did not answer");
  self->request(manager, timeout, std::move(xs)...)
      .receive(
          [&](T& value) { out = query_result<T>::success(std::move(value)); },
          [&](caf::error& err) {
            out = query_result<T>::failure("federation manager did not answer: " + sys.render(err));
          });
  return out;
}

}  // namespace

federation_facade::federation_facade(caf::actor_system& sys, federation_manager_actor manager,
                                     std::chrono::milliseconds timeout)
    : sys_(sys), manager_(std::move(manager)), timeout_(timeout) {}

query_result<std::vector<std::string>> federation_facade::active_peers() const {
  return ask<std::vector<std::string>>(sys_, manager_, timeout_, active_atom_v);
}

query_result<std::uint32_t> federation_facade::peer_count() const {
  return ask<std::uint32_t>(sys_, manager_, timeout_, peer_count_atom_v);
}

query_result<std::optional<peer_summary>> federation_facade::peer_info(
    const std::string& router_id) const {
  using result = query_result<std::optional<peer_summary>>;
  auto json = ask<std::string>(sys_, manager_, timeout_, peer_info_atom_v, router_id);
  if (!json) return result::failure(json.error());
  // The manager answers with the same JSON row /federation/peers shows, or null.
  auto row = nlohmann::json::parse(*json, nullptr, false);
  if (row.is_discarded()) return result::failure("federation manager sent malformed peer info");
  if (row.is_null()) return result::success(std::nullopt);
  peer_summary p;
  p.router_id = row.value("router_id", std::string{});
  p.state = row.value("state", std::string{});
  p.namespaces = row.value("namespaces", std::vector<std::string>{});
  p.outbound = row.value("outbound", false);
  p.endpoint = row.value("endpoint", std::string{});
  p.reconnect_attempts = row.value("reconnect_attempts", std::uint32_t{0});
  p.last_error = row.value("last_error", std::string{});
  return result::success(std::move(p));
}

query_result<bool> federation_facade::should_forward(const std::string& address,
                                                     const std::string& origin) const {
  return ask<bool>(sys_, manager_, timeout_, should_fwd_atom_v, address, origin);
}

query_result<std::vector<std::string>> federation_facade::peers_for_address(
    const std::string& address, const std::string& origin) const {
  return ask<std::vector<std::string>>(sys_, manager_, timeout_, peers_for_atom_v, address, origin);
}

}  // namespace clasp::actors
