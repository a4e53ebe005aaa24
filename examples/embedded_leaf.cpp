// A host application that embeds a CLASP leaf router: it joins the hub given on
// the command line, owns /embedded/**, writes a value there and checks that the
// hub received it. Exit code 0 when it did, 1 otherwise (with the reason).
//
//   embedded_leaf ws://127.0.0.1:7330
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include <clasp_federation/actor_handles.hpp>
#include <clasp_federation/client.hpp>
#include <clasp_federation/node.hpp>

namespace cf = clasp_federation;
using namespace std::chrono_literals;

namespace {

int fail(const std::string& why) {
  std::fprintf(stderr, "embedded_leaf: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: embedded_leaf HUB_URL (e.g. ws://127.0.0.1:7330)");
  const std::string hub_url = argv[1];

  cf::node_config config;
  config.federation.mode = cf::federation_mode::leaf;
  config.federation.hub_endpoints = {hub_url};
  config.federation.owned_namespaces = {"/embedded/**"};
  config.federation.reconnect_delay = 200ms;

  auto leaf = cf::node::start(config);
  if (!leaf) return fail("cannot start the leaf: " + leaf.error());
  auto& node = **leaf;
  std::printf("leaf %s listening on %s\n", node.router_id().c_str(), node.url().c_str());

  // Wait for the hub link to become Active, told by the link events.
  std::mutex mutex;
  std::condition_variable changed;
  std::string hub_id;
  auto subscription = node.subscribe_link_events([&](const cf::link_event& e) {
    std::printf("link %s: %s -> %s\n", e.peer.endpoint.c_str(),
                e.previous_state.empty() ? "(new)" : e.previous_state.c_str(),
                e.state.empty() ? "(gone)" : e.state.c_str());
    std::lock_guard<std::mutex> lock(mutex);
    if (e.state == "Active") hub_id = e.router_id;
    changed.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    if (!changed.wait_for(lock, 10s, [&] { return !hub_id.empty(); }))
      return fail("the link to " + hub_url + " did not become Active within 10 s");
  }

  // The same facts through the queries (and the typed handles, for CAF users).
  auto active = node.active_peers();
  if (!active || active->empty())
    return fail("active_peers: " + (active ? "none" : active.error()));
  auto forward = node.should_forward("/embedded/demo/level", "");
  if (!forward || !*forward) return fail("a local write to /embedded/** is not forwarded");
  if (!cf::manager_of(node)) return fail("no federation manager handle");

  const std::string address = "/embedded/demo/level";
  auto revision = cf::set_value(node.url(), address, "0.75");
  if (!revision) return fail("set on the leaf: " + revision.error());
  std::printf("set %s = 0.75 on the leaf (revision %llu)\n", address.c_str(),
              static_cast<unsigned long long>(*revision));

  // Forwarding is asynchronous: ask the hub until it has the value, bounded.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    auto at_hub = cf::get_value(hub_url, address, 1s);
    if (at_hub && *at_hub == "0.75") {
      std::printf("hub %s holds %s = %s\n", hub_id.c_str(), address.c_str(), at_hub->c_str());
      node.stop();
      return 0;
    }
    last = at_hub ? *at_hub : at_hub.error();
    std::this_thread::sleep_for(20ms);
  }
  return fail("the hub did not receive the value within 5 s (last answer: " + last + ")");
}
