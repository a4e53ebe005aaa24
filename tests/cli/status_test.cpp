// `clasp status` against a hub with two leaves (real processes): the JSON
// and the table list both leaves Active; --watch redraws until signalled.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "tests/cli/cli_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/router_process.hpp"

namespace clasp::clitest {

using test::temp_dir;
namespace {

using json = nlohmann::json;
using test::router_process;

json peer(const json& status, const std::string& id) {
  if (!status.is_object() || !status["peers"].is_array()) return nullptr;
  for (const auto& p : status["peers"])
    if (p.value("router_id", "") == id) return p;
  return nullptr;
}

bool active(const json& status, const std::string& id) {
  auto p = peer(status, id);
  return p.is_object() && p.value("state", "") == "Active";
}

class StatusCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<router_process>(router_process::server_args(
        {"--no-persistence", "--features", "federation", "--federation-id", "hub"}));
    for (const auto& [id, ns] :
         {std::pair{"site-a", "/site-a/**"}, std::pair{"site-b", "/site-b/**"}})
      leaves_.push_back(std::make_unique<router_process>(router_process::server_args(
          {"--no-persistence", "--federation-mode", "leaf", "--federation-hub", hub_->url(),
           "--federation-namespaces", ns, "--federation-id", id, "--federation-reconnect-delay-ms",
           "200"})));
  }
  // `clasp status --json` of the hub, polled (bounded) until both leaves are Active.
  json converged_hub_status(std::string& last) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = run_cli({"status", "--json", "--url", hub_->url()});
      last = r.out + r.err;
      if (r.exit_code != 0) continue;
      auto doc = json::parse(r.out, nullptr, false);
      if (active(doc, "site-a") && active(doc, "site-b")) return doc;
    }
    return nullptr;
  }
  std::unique_ptr<router_process> hub_;
  std::vector<std::unique_ptr<router_process>> leaves_;
};

TEST_F(StatusCommand, JsonListsBothLeavesActiveAtTheHub) {
  std::string last;
  auto st = converged_hub_status(last);
  ASSERT_TRUE(st.is_object()) << "leaves never Active; last status: " << last;
  EXPECT_EQ(st["router_id"], "hub");
  EXPECT_EQ(st["mode"], "hub");
  EXPECT_TRUE(st["uptime_s"].is_number_unsigned());
  EXPECT_TRUE(st["version"].is_string());
  EXPECT_EQ(st["peers"].size(), 2u);
  EXPECT_EQ(peer(st, "site-a")["namespaces"], json::array({"/site-a/**"}));
  EXPECT_EQ(peer(st, "site-b")["namespaces"], json::array({"/site-b/**"}));
  EXPECT_EQ(peer(st, "site-a")["outbound"], false);  // the leaves dialled in

  auto leaf = run_cli({"status", "--json", "--url", leaves_[0]->url()});
  ASSERT_EQ(leaf.exit_code, 0) << leaf.err;
  auto leaf_st = json::parse(leaf.out);
  EXPECT_EQ(leaf_st["mode"], "leaf");
  EXPECT_EQ(leaf_st["namespaces"], json::array({"/site-a/**"}));
  EXPECT_EQ(peer(leaf_st, "hub")["outbound"], true);
}

TEST_F(StatusCommand, TableShowsIdentityAndPeers) {
  std::string last;
  ASSERT_TRUE(converged_hub_status(last).is_object()) << last;
  auto r = run_cli({"status", "--url", hub_->url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("router     hub"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mode       hub"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("peers (2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ROUTER ID"), std::string::npos) << r.out;
  for (const auto& id : {"site-a", "site-b"}) {
    auto at = r.out.find(std::string("\n") + id + " ");
    ASSERT_NE(at, std::string::npos) << r.out;
    auto row = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    EXPECT_NE(row.find("Active"), std::string::npos) << row;
    EXPECT_NE(row.find("inbound"), std::string::npos) << row;
  }
}

TEST_F(StatusCommand, MessagesAndSyncLagAreReportedPerPeer) {
  std::string last;
  auto st = converged_hub_status(last);
  ASSERT_TRUE(st.is_object()) << last;
  // Both ends asked for a sync when the link came up; the hub asks the leaf for its namespace.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!peer(st, "site-a")["sync_lag_s"].is_number() &&
         std::chrono::steady_clock::now() < deadline) {
    auto r = run_cli({"status", "--json", "--url", hub_->url()});
    st = json::parse(r.out, nullptr, false);
  }
  auto a = peer(st, "site-a");
  ASSERT_TRUE(a["sync_lag_s"].is_number()) << st.dump();
  EXPECT_LT(a["sync_lag_s"].get<double>(), 30.0) << "a healthy link syncs every sync interval";
  ASSERT_TRUE(a["messages_in"].is_number_unsigned()) << st.dump();
  ASSERT_TRUE(a["messages_out"].is_number_unsigned()) << st.dump();
  EXPECT_GT(a["messages_in"].get<std::uint64_t>(), 0u);
  const auto in_before = a["messages_in"].get<std::uint64_t>();

  // Three writes at site-a arrive at the hub over site-a's link.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(run_cli({"set", "--url", leaves_[0]->url(), "/site-a/s/" + std::to_string(i), "1"})
                  .exit_code,
              0);
  std::uint64_t in_now = in_before;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (in_now < in_before + 3 && std::chrono::steady_clock::now() < deadline) {
    auto doc = json::parse(run_cli({"status", "--json", "--url", hub_->url()}).out, nullptr, false);
    auto row = peer(doc, "site-a");
    if (row.is_object() && row["messages_in"].is_number()) in_now = row["messages_in"];
  }
  EXPECT_GE(in_now, in_before + 3);

  // The table shows numbers, not "-", in those columns; the leaf sees its hub the same way.
  auto table = run_cli({"status", "--url", hub_->url()});
  auto at = table.out.find("\nsite-a ");
  ASSERT_NE(at, std::string::npos) << table.out;
  auto row = table.out.substr(at + 1, table.out.find('\n', at + 1) - at - 1);
  EXPECT_EQ(row.find(" - "), std::string::npos) << row;
  auto leaf = json::parse(run_cli({"status", "--json", "--url", leaves_[0]->url()}).out);
  EXPECT_TRUE(peer(leaf, "hub")["messages_out"].is_number()) << leaf.dump();
  auto help = run_cli({"status", "--help"});
  EXPECT_NE(help.out.find("SYNC LAG"), std::string::npos) << help.out;
}

TEST_F(StatusCommand, WatchRedrawsUntilSignalled) {
  cli_process watch({"status", "--watch", "--url", hub_->url()});
  int pages = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pages < 2 && std::chrono::steady_clock::now() < deadline) {
    auto line = watch.read_line(std::chrono::seconds(5));
    if (!line) break;
    if (line->find("\033[H\033[2J") != std::string::npos) ++pages;
  }
  EXPECT_EQ(pages, 2) << watch.all_stdout();
  watch.send_signal(SIGINT);
  EXPECT_EQ(watch.wait_exit(std::chrono::seconds(5)), 0);
}

TEST(StatusCommandTls, WssUrlTalksHttpsToTheSamePort) {
  temp_dir dir;
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const std::string make_cert =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout '" + key +
      "' -out '" + cert + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(make_cert.c_str()), 0) << "could not make a test certificate with openssl";
  router_process r(router_process::server_args(
      {"--no-persistence", "--federation-id", "tls-router", "--tls-cert", cert, "--tls-key", key}));
  const std::string url = "wss://127.0.0.1:" + std::to_string(r.port());
  auto st = run_cli({"status", "--json", "--url", url});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_EQ(json::parse(st.out)["router_id"], "tls-router");
  // A self-signed certificate is refused unless trusted or checked off.
  EXPECT_EQ(run_cli({"set", "--url", url, "/tls/x", "1"}).exit_code, 3);
  const std::string by_name = "wss://localhost:" + std::to_string(r.port());  // the certificate's name
  ASSERT_EQ(run_cli({"set", "--url", by_name, "--tls-ca", cert, "/tls/x", "1"}).exit_code, 0);
  EXPECT_EQ(run_cli({"get", "--url", url, "--insecure", "/tls/x"}).out, "1\n");
}

TEST(StatusCommandErrors, UnreachableAndBadUsage) {
  auto r = run_cli({"status", "--url", "ws://127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot reach"), std::string::npos) << r.err;
  EXPECT_EQ(run_cli({"status", "--frob"}).exit_code, 2);
  EXPECT_EQ(run_cli({"status", "--url", "http://127.0.0.1:1"}).exit_code, 3);
}

}  // namespace
}  // namespace clasp::clitest
