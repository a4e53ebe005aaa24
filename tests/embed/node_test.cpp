// clasp_federation::node against real hub processes: start, queries, link
// events, refusal of bad settings, stop.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"
#include "clasp_federation/actor_handles.hpp"
#include "clasp_federation/client.hpp"
#include "clasp_federation/node.hpp"
#include "tests/support/router_process.hpp"

namespace cf = clasp_federation;
using clasp::test::router_process;
using namespace std::chrono_literals;

namespace {

constexpr auto converge_timeout = 10s;

router_process start_hub(const std::string& id) {
  return router_process(router_process::server_args(
      {"--no-persistence", "--features", "federation", "--federation-id", id}));
}

cf::node_config leaf_config(std::uint16_t hub_port, const std::string& id) {
  cf::node_config c;
  c.federation.mode = cf::federation_mode::leaf;
  c.federation.router_id = id;
  c.federation.hub_endpoints = {"ws://127.0.0.1:" + std::to_string(hub_port)};
  c.federation.owned_namespaces = {"/emb/**"};
  c.federation.reconnect_delay = 100ms;
  c.federation.max_reconnect_delay = 500ms;
  return c;
}

// Collects link events; waits (bounded) for one that matches.
class event_log {
 public:
  void add(const cf::link_event& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(e);
    changed_.notify_all();
  }
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout = converge_timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      return std::any_of(events_.begin() + seen_, events_.end(), pred) && mark_seen(pred);
    });
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.size();
  }
  std::vector<cf::link_event> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  std::function<void(const cf::link_event&)> callback() {
    return [this](const cf::link_event& e) { add(e); };
  }

 private:
  // Later waits look only at events after the one that matched.
  template <class Pred>
  bool mark_seen(Pred pred) {
    auto it = std::find_if(events_.begin() + seen_, events_.end(), pred);
    seen_ = static_cast<std::size_t>(it - events_.begin()) + 1;
    return true;
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<cf::link_event> events_;
  std::size_t seen_ = 0;
};

auto state_of(const std::string& router_id, const std::string& state) {
  return [=](const cf::link_event& e) { return e.router_id == router_id && e.state == state; };
}

std::unique_ptr<cf::node> start_node(const cf::node_config& config) {
  auto started = cf::node::start(config);
  if (!started) ADD_FAILURE() << "node did not start: " << started.error();
  return started ? std::move(*started) : nullptr;
}

}  // namespace

TEST(embedded_node, leaf_joins_a_hub_and_answers_the_seed_queries) {
  auto hub = start_hub("hub");
  auto leaf = start_node(leaf_config(hub.port(), "emb-leaf"));
  ASSERT_TRUE(leaf);
  EXPECT_EQ(leaf->router_id(), "emb-leaf");
  EXPECT_NE(leaf->port(), 0);
  EXPECT_TRUE(leaf->running());

  event_log log;
  auto sub = leaf->subscribe_link_events(log.callback());
  ASSERT_TRUE(sub.active());
  ASSERT_TRUE(log.wait_for(state_of("hub", "Active"))) << "the hub link never became Active";

  auto active = leaf->active_peers();
  ASSERT_TRUE(active) << active.error();
  EXPECT_EQ(*active, std::vector<std::string>{"hub"});
  auto count = leaf->peer_count();
  ASSERT_TRUE(count) << count.error();
  EXPECT_EQ(*count, 1u);

  auto info = leaf->peer_info("hub");
  ASSERT_TRUE(info) << info.error();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->state, "Active");
  EXPECT_TRUE((*info)->outbound);
  EXPECT_EQ((*info)->endpoint, "ws://127.0.0.1:" + std::to_string(hub.port()));
  auto unknown = leaf->peer_info("no-such-router");
  ASSERT_TRUE(unknown) << unknown.error();
  EXPECT_FALSE(unknown->has_value());

  // Our own namespace goes up to the hub, but never back to where it came from.
  auto local = leaf->should_forward("/emb/lights/1", "");
  ASSERT_TRUE(local) << local.error();
  EXPECT_TRUE(*local);
  auto back = leaf->should_forward("/emb/lights/1", "hub");
  ASSERT_TRUE(back) << back.error();
  EXPECT_FALSE(*back);
  auto targets = leaf->peers_for_address("/emb/lights/1", "");
  ASSERT_TRUE(targets) << targets.error();
  EXPECT_EQ(*targets, std::vector<std::string>{"hub"});

  // And the router itself serves clients: a SET on the leaf reaches the hub.
  auto revision = cf::set_value(leaf->url(), "/emb/lights/1", "0.5");
  ASSERT_TRUE(revision) << revision.error();
  EXPECT_GE(*revision, 1u);
  std::string at_hub;
  const auto deadline = std::chrono::steady_clock::now() + converge_timeout;
  while (at_hub != "0.5" && std::chrono::steady_clock::now() < deadline) {
    auto got = cf::get_value(hub.url(), "/emb/lights/1", 1s);
    at_hub = got ? *got : got.error();
  }
  EXPECT_EQ(at_hub, "0.5");
}

TEST(embedded_node, link_events_follow_the_hub_going_away_and_back) {
  auto hub = start_hub("hub");
  auto leaf = start_node(leaf_config(hub.port(), "emb-leaf"));
  ASSERT_TRUE(leaf);
  event_log log;
  auto sub = leaf->subscribe_link_events(log.callback());
  ASSERT_TRUE(log.wait_for(state_of("hub", "Active")));

  hub.kill9();
  ASSERT_TRUE(log.wait_for([](const cf::link_event& e) {
    return e.previous_state == "Active" && e.state != "Active";
  })) << "losing the hub was not reported";
  auto count = leaf->peer_count();
  ASSERT_TRUE(count) << count.error();
  auto active = leaf->active_peers();
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->empty());

  hub.restart();
  EXPECT_TRUE(log.wait_for(state_of("hub", "Active"))) << "the reconnect was not reported";
}

TEST(embedded_node, a_cancelled_subscription_is_not_called_again) {
  auto hub = start_hub("hub");
  auto leaf = start_node(leaf_config(hub.port(), "emb-leaf"));
  ASSERT_TRUE(leaf);
  event_log kept, cancelled;
  auto keep = leaf->subscribe_link_events(kept.callback());
  auto drop = leaf->subscribe_link_events(cancelled.callback());
  ASSERT_TRUE(kept.wait_for(state_of("hub", "Active")));
  ASSERT_TRUE(cancelled.wait_for(state_of("hub", "Active")));
  drop.cancel();
  EXPECT_FALSE(drop.active());
  const auto before = cancelled.size();

  hub.kill9();
  // Both are pushed the same tables: once the kept subscription saw the loss,
  // the cancelled one would have been called too.
  ASSERT_TRUE(kept.wait_for([](const cf::link_event& e) { return e.previous_state == "Active"; }));
  EXPECT_EQ(cancelled.size(), before);
}

TEST(embedded_node, bad_settings_are_refused_naming_the_setting) {
  auto refused = [](cf::node_config c) {
    auto started = cf::node::start(c);
    EXPECT_FALSE(started);
    return started ? std::string("(started)") : started.error();
  };
  cf::node_config leaf_without_hub;
  leaf_without_hub.federation.mode = cf::federation_mode::leaf;
  EXPECT_NE(refused(leaf_without_hub).find("federation-hub"), std::string::npos);

  auto bad_pattern = leaf_config(1, "x");
  bad_pattern.federation.owned_namespaces = {"no-leading-slash"};
  EXPECT_NE(refused(bad_pattern).find("invalid namespace pattern 'no-leading-slash'"),
            std::string::npos);

  cf::node_config bad_feature;
  bad_feature.federation.features = {"param", "telepathy"};
  EXPECT_NE(refused(bad_feature).find("unknown feature 'telepathy'"), std::string::npos);

  cf::node_config mesh_with_http;
  mesh_with_http.federation.mode = cf::federation_mode::mesh;
  mesh_with_http.federation.mesh_peers = {"http://127.0.0.1:1"};
  EXPECT_NE(refused(mesh_with_http).find("federation-peers"), std::string::npos);
}

TEST(embedded_node, a_port_in_use_fails_at_once_with_a_reason) {
  cf::node_config first;
  first.federation.mode = cf::federation_mode::hub;
  auto a = start_node(first);
  ASSERT_TRUE(a);
  cf::node_config second = first;
  second.port = a->port();
  const auto begin = std::chrono::steady_clock::now();
  auto b = cf::node::start(second);
  EXPECT_FALSE(b);
  EXPECT_NE(b.error().find("could not start"), std::string::npos) << b.error();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s);
  EXPECT_TRUE(a->running());
}

TEST(embedded_node, standalone_and_stopped_nodes_answer_with_reasons) {
  cf::node_config plain;
  plain.federation.mode = cf::federation_mode::standalone;
  auto n = start_node(plain);
  ASSERT_TRUE(n);
  auto peers = n->active_peers();
  EXPECT_FALSE(peers);
  EXPECT_NE(peers.error().find("federation is off"), std::string::npos) << peers.error();
  EXPECT_FALSE(n->subscribe_link_events([](const cf::link_event&) {}).active());
  EXPECT_EQ(cf::manager_of(*n), nullptr);
  EXPECT_NE(cf::store_of(*n), nullptr);

  n->stop();
  n->stop();  // idempotent
  EXPECT_FALSE(n->running());
  auto after = n->peer_count();
  EXPECT_FALSE(after);
  EXPECT_NE(after.error().find("not running"), std::string::npos) << after.error();
  EXPECT_EQ(cf::actor_system_of(*n), nullptr);
}

TEST(embedded_node, typed_handles_reach_the_federation_manager) {
  cf::node_config hub_config;
  hub_config.federation.mode = cf::federation_mode::hub;
  hub_config.federation.router_id = "emb-hub";
  auto hub = start_node(hub_config);
  ASSERT_TRUE(hub);
  auto* sys = cf::actor_system_of(*hub);
  ASSERT_NE(sys, nullptr);
  auto manager = cf::manager_of(*hub);
  ASSERT_NE(manager, nullptr);
  std::optional<std::uint32_t> count;
  {
    caf::scoped_actor self{*sys};
    self->request(manager, std::chrono::seconds(3), clasp::actors::peer_count_atom_v)
        .receive([&](std::uint32_t n) { count = n; }, [](caf::error&) {});
  }
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0u);

  // An embedded hub accepts a real leaf process.
  router_process leaf(router_process::server_args(
      {"--no-persistence", "--federation-mode", "leaf", "--federation-hub", hub->url(),
       "--federation-namespaces", "/site-a/**", "--federation-id", "site-a"}));
  event_log log;
  auto sub = hub->subscribe_link_events(log.callback());
  EXPECT_TRUE(log.wait_for(state_of("site-a", "Active")));
  auto info = hub->peer_info("site-a");
  ASSERT_TRUE(info && info->has_value());
  EXPECT_EQ((*info)->namespaces, std::vector<std::string>{"/site-a/**"});
  EXPECT_FALSE((*info)->outbound);
}

TEST(embedded_node, link_events_report_every_state_in_order) {
  auto hub = start_hub("hub");
  auto config = leaf_config(hub.port(), "emb-leaf");
  auto leaf = start_node(config);
  ASSERT_TRUE(leaf);
  event_log log;
  auto sub = leaf->subscribe_link_events(log.callback());
  ASSERT_TRUE(log.wait_for(state_of("hub", "Active")));
  hub.kill9();
  ASSERT_TRUE(log.wait_for([](const cf::link_event& e) { return e.previous_state == "Active"; }));
  hub.restart();
  ASSERT_TRUE(log.wait_for(state_of("hub", "Active")));

  // Pushed, not sampled: each event starts where the one before it for the
  // same link ended, and the link passed through Syncing on its way to Active.
  std::map<std::string, std::string> last;  // by endpoint: a link learns its router id late
  bool synced_before_active = false;
  for (const auto& e : log.events()) {
    auto& before = last[e.peer.endpoint];
    EXPECT_EQ(e.previous_state, before)
        << "a state change of " << e.peer.endpoint << " was skipped";
    if (e.previous_state == "Syncing" && e.state == "Active") synced_before_active = true;
    before = e.state;
  }
  EXPECT_TRUE(synced_before_active);
}

TEST(embedded_node, queries_and_link_events_survive_a_registry_restart) {
  cf::node_config hub_config;
  hub_config.federation.mode = cf::federation_mode::hub;
  hub_config.federation.router_id = "emb-hub";
  auto hub = start_node(hub_config);
  ASSERT_TRUE(hub);
  event_log log;
  auto sub = hub->subscribe_link_events(log.callback());
  router_process leaf(router_process::server_args(
      {"--no-persistence", "--federation-mode", "leaf", "--federation-hub", hub->url(),
       "--federation-namespaces", "/site-a/**", "--federation-id", "site-a",
       "--federation-reconnect-delay-ms", "100"}));
  ASSERT_TRUE(log.wait_for(state_of("site-a", "Active")));

  // What POST /admin/kill?actor=registry does: the node supervisor restarts it.
  const auto first = cf::manager_of(*hub);
  ASSERT_NE(first, nullptr);
  caf::anon_send_exit(first, caf::exit_reason::kill);

  // The old registry's peer is reported gone, then back once the leaf redeclared.
  EXPECT_TRUE(log.wait_for([](const cf::link_event& e) {
    return e.router_id == "site-a" && e.previous_state == "Active";
  })) << "losing the registry's peer row was not reported";
  EXPECT_TRUE(log.wait_for(state_of("site-a", "Active"))) << "no event from the new registry";

  // Queries go to the new registry (bounded wait: the leaf has to reconnect).
  std::string seen = "no answer";
  const auto deadline = std::chrono::steady_clock::now() + converge_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto active = hub->active_peers();
    seen = active ? std::to_string(active->size()) + " active" : active.error();
    if (active && *active == std::vector<std::string>{"site-a"}) break;
    std::this_thread::sleep_for(20ms);  // between polls of a bounded condition
  }
  EXPECT_EQ(seen, "1 active");
  EXPECT_NE(cf::manager_of(*hub), first);
  auto info = hub->peer_info("site-a");
  ASSERT_TRUE(info) << info.error();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->namespaces, std::vector<std::string>{"/site-a/**"});
}
