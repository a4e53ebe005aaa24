// `clasp set|get|sub|pub` (and the older positional-URL forms) against a real
// router process: outputs, refusals and the documented exit codes.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_process.hpp"
#include "tests/support/router_process.hpp"

namespace clasp::clitest {
namespace {

using json = nlohmann::json;
using test::router_process;

constexpr millis line_timeout{10000};

// A loopback port nothing listens on (bound once, then released).
std::uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class ClientCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    router_ = std::make_unique<router_process>(router_process::server_args());
  }
  // Runs `clasp CMD --url URL args...`.
  cli_result cmd(const std::string& command, std::vector<std::string> args) {
    args.insert(args.begin(), {command, "--url", router_->url()});
    return run_cli(args);
  }
  std::unique_ptr<router_process> router_;
};

TEST_F(ClientCommands, SetThenGetRoundTripsJsonValues) {
  struct sample {
    std::string typed, printed;
  };
  for (const auto& s :
       {sample{"1", "1"}, sample{"2.5", "2.5"}, sample{"-7", "-7"}, sample{"true", "true"},
        sample{"null", "null"}, sample{"\"text\"", "\"text\""},
        sample{"bare-word", "\"bare-word\""}, sample{"[1,\"a\",false]", "[1,\"a\",false]"},
        sample{"{\"x\":{\"y\":[2]}}", "{\"x\":{\"y\":[2]}}"}}) {
    auto set = cmd("set", {"/cli/v", s.typed});
    ASSERT_EQ(set.exit_code, 0) << s.typed << ": " << set.err;
    EXPECT_EQ(set.out.rfind("/cli/v " + s.printed + " (revision ", 0), 0u) << set.out;
    auto get = cmd("get", {"/cli/v"});
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_EQ(get.out, s.printed + "\n");
  }
}

// The number in "(revision N)" of a `clasp set` line (0 if there is none).
std::uint64_t printed_revision(const std::string& out) {
  auto at = out.find("(revision ");
  return at == std::string::npos ? 0 : std::stoull(out.substr(at + 10));
}

TEST_F(ClientCommands, RevisionsCountUpPerWrite) {
  // A new address starts at the router's revision floor (its start time in µs).
  const auto first = printed_revision(cmd("set", {"/cli/r", "1"}).out);
  ASSERT_GT(first, 0u);
  EXPECT_EQ(printed_revision(cmd("set", {"/cli/r", "2"}).out), first + 1);
}

TEST_F(ClientCommands, BytesAndTtl) {
  auto set = cmd("set", {"--bytes", "00ff10", "/cli/b"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(cmd("get", {"/cli/b"}).out, "{\"bytes\":\"00ff10\"}\n");
  auto bad = cmd("set", {"--bytes", "0g", "/cli/b"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--bytes"), std::string::npos) << bad.err;

  ASSERT_EQ(cmd("set", {"--ttl", "1", "/cli/ttl", "5"}).exit_code, 0);
  EXPECT_EQ(cmd("get", {"/cli/ttl"}).exit_code, 0);
  // The router expires it after about a second; poll (bounded) until GET says not found.
  int code = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (std::chrono::steady_clock::now() < deadline &&
         (code = cmd("get", {"/cli/ttl"}).exit_code) == 0) {
  }
  EXPECT_EQ(code, 5);
}

TEST_F(ClientCommands, GetOfUnknownAddressExitsFive) {
  auto r = cmd("get", {"/cli/never-set"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
}

TEST_F(ClientCommands, RouterErrorExitsFourWithCodeAndMessage) {
  auto set = cmd("set", {"no-leading-slash", "1"});
  EXPECT_EQ(set.exit_code, 4);
  EXPECT_NE(set.err.find("ERROR 200"), std::string::npos) << set.err;
  auto pub = cmd("pub", {"bad address", "1"});
  EXPECT_EQ(pub.exit_code, 4);
  EXPECT_NE(pub.err.find("ERROR"), std::string::npos) << pub.err;
  auto sub = cmd("sub", {"/a/***/["});
  EXPECT_EQ(sub.exit_code, 4) << sub.err;
  EXPECT_NE(sub.err.find("ERROR"), std::string::npos) << sub.err;
}

TEST_F(ClientCommands, UnreachableRouterExitsThree) {
  const std::string url = "ws://127.0.0.1:" + std::to_string(unused_port());
  for (const auto& command : {"set", "get", "pub", "sub"}) {
    std::vector<std::string> args{command, "--url", url, "/cli/x"};
    if (std::string(command) == "set") args.push_back("1");
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 3) << command << ": " << r.err;
    EXPECT_NE(r.err.find("cannot reach"), std::string::npos) << r.err;
  }
}

TEST_F(ClientCommands, BadUsageExitsTwo) {
  EXPECT_EQ(cmd("set", {"/only-address"}).exit_code, 2);
  EXPECT_EQ(cmd("get", {}).exit_code, 2);
  EXPECT_EQ(cmd("get", {"/a", "/b"}).exit_code, 2);
  EXPECT_EQ(cmd("pub", {}).exit_code, 2);
  EXPECT_EQ(cmd("sub", {}).exit_code, 2);
  EXPECT_EQ(cmd("set", {"--no-such-option", "/a", "1"}).exit_code, 2);
  EXPECT_EQ(cmd("set", {"--ttl", "soon", "/a", "1"}).exit_code, 2);
  EXPECT_EQ(run_cli({"set", "--url", router_->url(), router_->url(), "/a", "1"}).exit_code, 2);
  auto unknown = run_cli({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(run_cli({}).exit_code, 2);
}

TEST_F(ClientCommands, TopLevelHelpDocumentsExitCodes) {
  auto r = run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const auto& text : {"clasp status", "clasp sub PATTERN", "3  router unreachable",
                           "4  refused by the router", "5  not found", "2  bad usage"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
}

TEST_F(ClientCommands, OlderPositionalUrlFormsStillWork) {
  const auto url = router_->url();
  auto set = run_cli({"set", url, "/cli/old", "41"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto get = run_cli({"get", url, "/cli/old"});
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_EQ(get.out, "41\n");
  EXPECT_EQ(run_cli({"publish", url, "/cli/old-event", "1"}).exit_code, 0);

  cli_process watch({"watch", url, "/cli/old"});
  auto first = watch.read_line(line_timeout);  // the current value, from the SUBSCRIBE snapshot
  ASSERT_TRUE(first) << watch.stderr_text();
  EXPECT_EQ(*first, "/cli/old 41");
  ASSERT_EQ(run_cli({"set", url, "/cli/old", "42"}).exit_code, 0);
  auto second = watch.read_line(line_timeout);
  ASSERT_TRUE(second) << watch.stderr_text();
  EXPECT_EQ(*second, "/cli/old 42");
  watch.send_signal(SIGTERM);
  EXPECT_EQ(watch.wait_exit(line_timeout), 0);
}

TEST_F(ClientCommands, SubPrintsUpdatesAndEventsUntilSignalled) {
  ASSERT_EQ(cmd("set", {"/cli/sub/a", "1"}).exit_code, 0);
  cli_process sub({"sub", "--url", router_->url(), "/cli/sub/**"});
  auto snapshot = sub.read_line(line_timeout);
  ASSERT_TRUE(snapshot) << sub.stderr_text();
  EXPECT_EQ(*snapshot, "/cli/sub/a 1");  // so the subscription is live from here on
  ASSERT_EQ(cmd("set", {"/cli/sub/b", "\"two\""}).exit_code, 0);
  ASSERT_EQ(cmd("set", {"/cli/other", "3"}).exit_code, 0);  // outside the pattern
  ASSERT_EQ(cmd("pub", {"/cli/sub/ev", "[1]"}).exit_code, 0);
  EXPECT_EQ(sub.read_line(line_timeout).value_or("<none>"), "/cli/sub/b \"two\"");
  EXPECT_EQ(sub.read_line(line_timeout).value_or("<none>"), "/cli/sub/ev [1]");
  sub.send_signal(SIGINT);
  EXPECT_EQ(sub.wait_exit(line_timeout), 0);
  EXPECT_EQ(sub.all_stdout().find("/cli/other"), std::string::npos);
}

TEST_F(ClientCommands, SubJsonPrintsOneObjectPerLine) {
  ASSERT_EQ(cmd("set", {"/cli/j/a", "{\"k\":1}"}).exit_code, 0);
  cli_process sub({"sub", "--json", "--url", router_->url(), "/cli/j/**"});
  auto first = sub.read_line(line_timeout);
  ASSERT_TRUE(first) << sub.stderr_text();
  auto a = json::parse(*first);
  EXPECT_EQ(a["address"], "/cli/j/a");
  EXPECT_EQ(a["value"], json({{"k", 1}}));
  const auto first_revision = a["revision"].get<std::uint64_t>();
  EXPECT_GT(first_revision, 0u);
  EXPECT_EQ(a["kind"], "param");
  ASSERT_EQ(cmd("set", {"/cli/j/a", "2"}).exit_code, 0);
  ASSERT_EQ(cmd("pub", {"/cli/j/e"}).exit_code, 0);
  auto update = json::parse(sub.read_line(line_timeout).value_or("null"));
  EXPECT_EQ(update["value"], 2);
  EXPECT_EQ(update["revision"], first_revision + 1);
  auto event = json::parse(sub.read_line(line_timeout).value_or("null"));
  EXPECT_EQ(event["address"], "/cli/j/e");
  EXPECT_EQ(event["kind"], "event");
  EXPECT_FALSE(event.contains("revision"));
  sub.send_signal(SIGTERM);
  EXPECT_EQ(sub.wait_exit(line_timeout), 0);
}

TEST_F(ClientCommands, SubEndsWithThreeWhenTheRouterGoesAway) {
  cli_process sub({"sub", "--url", router_->url(), "/cli/**"});
  ASSERT_EQ(cmd("set", {"/cli/x", "1"}).exit_code, 0);
  ASSERT_TRUE(sub.read_line(line_timeout)) << sub.stderr_text();
  router_->kill9();
  EXPECT_EQ(sub.wait_exit(line_timeout), 3);
  EXPECT_NE(sub.stderr_text().find("connection ended"), std::string::npos) << sub.stderr_text();
}

}  // namespace
}  // namespace clasp::clitest
