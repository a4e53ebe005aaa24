// `clasp server` as a process: a config file with flags over it, refusals at
// start (exit 2, key named), --print-config, --data-dir and --log-format json.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/router_process.hpp"

namespace clasp::clitest {

using test::temp_dir;
namespace {

using json = nlohmann::json;
using test::router_process;

json status_of(const router_process& r) {
  auto res = test::http_get(r.port(), "/status");
  EXPECT_EQ(res.status, 200) << res.error;
  return json::parse(res.body, nullptr, false);
}

TEST(ServerProcess, ConfigFileIsUsedAndFlagsOverrideIt) {
  temp_dir dir;
  auto config = dir.write("hub.json", R"({"bind": "127.0.0.1", "port": 0, "log-level": "warn",
    "no-persistence": true, "features": "param,event,stream,federation", "federation-id": "from-file",
    "name": "file-name"})");
  router_process hub({"server", "--config", config, "--federation-id", "from-flag"});
  auto st = status_of(hub);
  EXPECT_EQ(st["router_id"], "from-flag");
  EXPECT_EQ(st["mode"], "hub");  // "federation" in the file's features
}

TEST(ServerProcess, BadConfigIsRefusedAtStartNamingTheKey) {
  temp_dir dir;
  auto unknown =
      run_cli({"server", "--config", dir.write("u.json", R"({"federation": {"hubs": []}})")});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown key 'federation.hubs'"), std::string::npos) << unknown.err;
  EXPECT_EQ(unknown.out.find("listening"), std::string::npos);
  auto wrong = run_cli({"server", "--config", dir.write("w.json", R"({"port": "7330"})")});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("key 'port'"), std::string::npos) << wrong.err;
  auto flag = run_cli({"server", "--no-such-flag"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("--no-such-flag"), std::string::npos) << flag.err;
}

TEST(ServerProcess, PrintConfigShowsTheEffectiveConfiguration) {
  temp_dir dir;
  auto config = dir.write("c.json", R"({"port": 7101, "federation": {"mode": "mesh",
    "peers": ["ws://127.0.0.1:7102"]}})");
  auto r = run_cli({"server", "--config", config, "--port", "7103", "--print-config"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["port"], 7103);
  EXPECT_EQ(doc["federation-mode"], "mesh");
  EXPECT_EQ(doc["federation-peers"], json::array({"ws://127.0.0.1:7102"}));
  EXPECT_EQ(doc["tombstone-retention"], 86400);
}

TEST(ServerProcess, HelpTellsTheDefaults) {
  auto r = run_cli({"server", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--port N"), std::string::npos);
  EXPECT_NE(r.out.find("(default: 7330)"), std::string::npos);
  EXPECT_NE(r.out.find("--federation-peers"), std::string::npos);
  EXPECT_NE(r.out.find("--log-format text|json"), std::string::npos);
}

TEST(ServerProcess, DataDirIsCreatedAndKeepsStateAcrossRestart) {
  temp_dir dir;
  const std::string data = dir.file("site/a");
  router_process r(router_process::server_args({"--data-dir", data}));
  auto set = run_cli({"set", "--url", r.url(), "/kept/x", "17"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  ASSERT_TRUE(r.terminate().has_value());
  EXPECT_TRUE(std::filesystem::exists(data + "/state.db"));
  r.restart();
  auto get = run_cli({"get", "--url", r.url(), "/kept/x"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "17\n");
}

TEST(ServerProcess, DataDirThatCannotBeCreatedIsAClearError) {
  temp_dir dir;
  auto file = dir.write("not-a-dir", "x");
  auto r = run_cli({"server", "--bind", "127.0.0.1", "--port", "0", "--data-dir", file + "/sub"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot create data directory"), std::string::npos) << r.err;
}

TEST(ServerProcess, JsonLogFormatWritesOneObjectPerLine) {
  router_process r({"server", "--bind", "127.0.0.1", "--port", "0", "--log-level", "info",
                    "--log-format", "json", "--federation-id", "json-logger"});
  ASSERT_EQ(run_cli({"set", "--url", r.url(), "/log/x", "1"}).exit_code, 0);
  ASSERT_TRUE(r.terminate().has_value());
  std::istringstream lines(r.stderr_tail(1 << 20));
  std::string line;
  int parsed = 0;
  bool saw_serving = false;
  while (std::getline(lines, line)) {
    auto j = json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    ASSERT_TRUE(j["ts"].is_string() && j["level"].is_string() && j["msg"].is_string()) << line;
    EXPECT_EQ(j["ts"].get<std::string>().back(), 'Z');
    saw_serving =
        saw_serving || j["msg"].get<std::string>().find("json-logger") != std::string::npos;
    ++parsed;
  }
  EXPECT_GE(parsed, 3);  // serving, the session, shutting down
  EXPECT_TRUE(saw_serving);
}

}  // namespace
}  // namespace clasp::clitest
