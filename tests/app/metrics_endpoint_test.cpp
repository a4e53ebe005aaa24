// serve_metrics against real and stub actors: one reply per scrape, 200 with
// the rendered text when every source answers, 503 naming the source when one
// answers garbage or nothing within the timeout.
#include <gtest/gtest.h>

#include <future>
#include <memory>

#include "actors/federation/federation_manager_actor.hpp"
#include "actors/router/state_store_actor.hpp"
#include "app/metrics_endpoint.hpp"
#include "tests/support/prometheus_text.hpp"
#include "tests/actors/actor_test_support.hpp"

namespace clasp::app {
namespace {

using clasp::testing::actor_env;
using namespace std::chrono_literals;

// Runs one scrape and waits (bounded) for its reply.
transport::http_response scrape(caf::actor_system& sys, metrics_sources sources) {
  auto done = std::make_shared<std::promise<transport::http_response>>();
  auto result = done->get_future();
  serve_metrics(sys, std::move(sources),
                [done](transport::http_response r) { done->set_value(std::move(r)); });
  if (result.wait_for(10s) != std::future_status::ready) return {0, "", "no reply within 10 s"};
  return result.get();
}

// A store whose `stats` answers `json`, or never answers when `json` is empty
// (the promises are kept, so nothing is delivered on their behalf).
actors::state_store_actor::behavior_type scripted_store(
    actors::state_store_actor::pointer self, std::string json,
    std::shared_ptr<std::vector<caf::response_promise>> kept) {
  using namespace actors;
  return {
      [](attach_session&) {},
      [](detach_session) {},
      [](const op_batch&) {},
      [](direct_route&) {},
      [](mark_link&) {},
      [](routing_update&) {},
      [](const request_sync&) {},
      [](tick_atom) {},
      [](persist_atom) {},
      [](pump_atom) {},
      [](shutdown_atom) -> std::uint64_t { return 0; },
      [=](stats_atom) -> caf::result<std::string> {
        if (!json.empty()) return json;
        kept->push_back(self->make_response_promise());
        return caf::delegated<std::string>{};
      },
  };
}

TEST(MetricsEndpoint, RealStoreAndManagerRenderToPrometheusText) {
  actor_env env;
  router::router_config rc;
  rc.router_id = "hub-1";
  auto store = actors::spawn_state_store(env.sys(), rc, nullptr, {});
  auto manager = actors::spawn_federation_manager(env.sys(), store, "hub-1", {});
  auto r = scrape(env.sys(), {store, manager, {}, "hub-1", "hub"});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  auto s = test::parse_metrics(r.body);
  EXPECT_EQ(test::sample(s, "clasp_params"), 0);
  EXPECT_EQ(test::sample(s, "clasp_sessions", {{"role", "client"}}), 0);
  EXPECT_EQ(test::sample(s, "clasp_peers"), 0) << "the manager's (empty) peer list was asked";
  EXPECT_FALSE(test::sample(s, "clasp_persistence_commits_total").has_value());
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

TEST(MetricsEndpoint, InvalidJsonFromAStoreIsA503NamingIt) {
  actor_env env;
  auto kept = std::make_shared<std::vector<caf::response_promise>>();
  auto store = env.sys().spawn(scripted_store, std::string("{not json"), kept);
  auto r = scrape(env.sys(), {store, {}, {}, "r", "standalone"});
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("state store answered invalid JSON"), std::string::npos) << r.body;
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

TEST(MetricsEndpoint, AStoreThatNeverAnswersIsA503AfterTheTimeout) {
  actor_env env;
  auto kept = std::make_shared<std::vector<caf::response_promise>>();
  auto store = env.sys().spawn(scripted_store, std::string(), kept);
  metrics_sources sources{store, {}, {}, "r", "standalone"};
  sources.timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  auto r = scrape(env.sys(), sources);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("state store:"), std::string::npos) << r.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "bounded by the timeout, not a hang";
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

TEST(MetricsEndpoint, AStoreSnapshotOfTheWrongShapeIsA503NotACrash) {
  actor_env env;
  auto kept = std::make_shared<std::vector<caf::response_promise>>();
  auto store = env.sys().spawn(scripted_store, std::string(R"({"params": "lots"})"), kept);
  auto r = scrape(env.sys(), {store, {}, {}, "r", "standalone"});
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("cannot render"), std::string::npos) << r.body;
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace clasp::app
