// Router arguments, the fault primitives and the link checks of the fault suite.
#include "tests/fault/fault_cluster.hpp"

#include <signal.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>

#include "tests/federation/fed_test.hpp"

namespace clasp::faulttest {

namespace {

// Pause between two polls of a condition (not a synchronisation by itself).
constexpr millis poll_interval{50};
constexpr millis start_timeout{20000};

std::vector<std::string> common_args(const std::string& data_root, const std::string& id) {
  return {"--data-dir", data_root + "/" + id, "--federation-id", id, "--test-admin"};
}

std::vector<std::string> hub_args(const std::string& data_root) {
  auto a = common_args(data_root, "hub");
  a.insert(a.end(), {"--features", "federation"});
  return test::router_process::server_args(a);
}

std::vector<std::string> leaf_args(const std::string& data_root, const std::string& id,
                                   std::uint16_t hub_port) {
  auto a = common_args(data_root, id);
  // Fast, unlimited retries: a fault must never leave a link Failed (the
  // Failed state has its own tests), and a restarted hub is found at once.
  a.insert(a.end(), {"--federation-mode", "leaf", "--federation-hub",
                     "ws://127.0.0.1:" + std::to_string(hub_port), "--federation-namespaces",
                     "/" + id + "/**", "--federation-reconnect-delay-ms", "100",
                     "--federation-max-reconnect-delay-ms", "1000",
                     "--federation-max-reconnect-attempts", "0"});
  return test::router_process::server_args(a);
}

}  // namespace

fault_cluster::fault_cluster(const std::string& data_root)
    : names_{"hub", "site-a", "site-b"}, stopped_(3, false) {
  routers_.push_back(std::make_unique<test::router_process>(hub_args(data_root)));
  const auto hub_port = routers_[hub]->port();
  for (auto i : {site_a, site_b})
    routers_.push_back(
        std::make_unique<test::router_process>(leaf_args(data_root, names_[i], hub_port)));
  std::string why;
  if (!wait_links_active(start_timeout, &why))
    throw std::runtime_error("the three routers never linked up: " + why);
}

fault_cluster::~fault_cluster() {
  for (std::size_t i = 0; i < routers_.size(); ++i)
    if (stopped_[i]) resume(i);
}

std::string fault_cluster::owned_prefix(std::size_t i) const {
  return i == hub ? std::string() : "/" + names_[i] + "/";
}

fedtest::post_result fault_cluster::kill_actor(std::size_t i, const std::string& kind) {
  return fedtest::http_post(port(i), "/admin/kill?actor=" + kind);
}

void fault_cluster::stop(std::size_t i) {
  ::kill(routers_[i]->pid(), SIGSTOP);
  stopped_[i] = true;
}

void fault_cluster::resume(std::size_t i) {
  ::kill(routers_[i]->pid(), SIGCONT);
  stopped_[i] = false;
}

bool fault_cluster::links_active(std::string* why) const {
  auto fail = [&](const std::string& text) {
    if (why) *why = text;
    return false;
  };
  const auto at_hub = fedtest::peers_of(port(hub));
  for (auto i : {site_a, site_b})
    if (!fedtest::peer_active(at_hub, names_[i], "/" + names_[i] + "/**"))
      return fail("hub does not list " + names_[i] + " Active: " + at_hub.dump());
  for (auto [leaf, other] : {std::pair{site_a, site_b}, std::pair{site_b, site_a}}) {
    const auto peers = fedtest::peers_of(port(leaf));
    if (!fedtest::peer_active(peers, "hub", "/" + names_[other] + "/**"))
      return fail(names_[leaf] + " has no Active hub link declaring /" + names_[other] +
                  "/**: " + peers.dump());
  }
  return true;
}

bool fault_cluster::wait_links_active(millis timeout, std::string* why) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (links_active(why)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

std::string fault_cluster::hub_connection_of(std::size_t i) const {
  const auto entry = fedtest::peer_entry(fedtest::peers_of(port(hub)), names_[i]);
  return entry.is_object() ? entry.value("endpoint", std::string{}) : std::string{};
}

bool fault_cluster::wait_hub_dropped(std::size_t i, millis timeout, std::string* why) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto peers = fedtest::peers_of(port(hub));
    if (why) *why = peers.dump();
    if (peers.is_array() && !fedtest::peer_active(peers, names_[i])) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

bool fault_cluster::read_states(std::vector<test::router_state>& out, std::string* why) const {
  out.assign(size(), {});
  for (std::size_t i = 0; i < size(); ++i)
    if (!test::read_state(port(i), out[i])) {
      if (why) *why = names_[i] + " did not answer SUBSCRIBE /**";
      return false;
    }
  return true;
}

}  // namespace clasp::faulttest
