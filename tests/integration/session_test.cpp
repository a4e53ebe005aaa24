// Session lifecycle at the wire: HELLO/WELCOME, refusals before HELLO, health
// endpoint, and a clean SIGTERM shutdown.
#include <signal.h>

#include <nlohmann/json.hpp>

#include "tests/integration/router_test.hpp"
#include "tests/support/http_get.hpp"

namespace clasp::test {
namespace {

using session_test = router_test;

TEST_F(session_test, welcome_carries_unique_session_ids) {
  std::set<std::string> sessions;
  std::vector<std::unique_ptr<wire_client>> clients;
  for (int i = 0; i < 5; ++i) {
    auto c = raw_client();
    auto w = c->hello("client-" + std::to_string(i));
    EXPECT_EQ(w.version, 1);
    EXPECT_FALSE(w.session.empty());
    sessions.insert(w.session);
    clients.push_back(std::move(c));
  }
  EXPECT_EQ(sessions.size(), 5u) << "session ids must be unique";
}

TEST_F(session_test, set_before_hello_gets_error_then_close) {
  auto c = raw_client();
  ASSERT_TRUE(c->send(make_set("/early/x", 1), codec::qos::confirm));
  auto err = c->expect<msg::error>();
  ASSERT_TRUE(err.has_value());
  EXPECT_TRUE(c->is_closed()) << "a session must be closed after a message before HELLO";

  // Nothing was stored.
  auto other = client();
  std::uint16_t code = 0;
  EXPECT_FALSE(get_param(*other, "/early/x", &code).has_value());
  EXPECT_EQ(code, error_code::address_not_found);
}

TEST_F(session_test, subscribe_before_hello_gets_error_then_close) {
  auto c = raw_client();
  ASSERT_TRUE(c->send(make_subscribe(1, "/**")));
  EXPECT_TRUE(c->expect<msg::error>().has_value());
  EXPECT_TRUE(c->is_closed());
}

TEST_F(session_test, healthz_answers_200_with_json) {
  auto r = http_get(router().port(), "/healthz");
  ASSERT_EQ(r.status, 200) << r.error;
  auto body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(body.is_discarded()) << "not JSON: " << r.body;
}

TEST_F(session_test, websocket_and_http_share_the_port) {
  auto c = client();
  auto r = http_get(router().port(), "/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  ASSERT_TRUE(c->send(msg::ping{}));
  EXPECT_TRUE(c->expect<msg::pong>().has_value());
}

TEST_F(session_test, sigterm_closes_sessions_and_exits_zero) {
  auto a = client("a");
  auto b = client("b");
  auto status = router().terminate(std::chrono::seconds(5));
  ASSERT_TRUE(status.has_value()) << "router did not exit within 5 s of SIGTERM";
  EXPECT_EQ(exit_code_of(*status), 0);
  EXPECT_TRUE(a->is_closed(millis(1000)));
  EXPECT_TRUE(b->is_closed(millis(1000)));
  EXPECT_TRUE(a->received_close_frame()) << "sessions should get a WebSocket close frame";
}

TEST_F(session_test, sigint_exits_zero) {
  auto a = client();
  ASSERT_EQ(::kill(router().pid(), SIGINT), 0);
  EXPECT_TRUE(a->is_closed(millis(5000)));
  auto status = router().wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code_of(*status), 0);
}

}  // namespace
}  // namespace clasp::test
