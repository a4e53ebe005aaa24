// The test harness itself: a router restarted after SIGKILL comes back on the
// same port (federation tests rely on it), and a missing CLASP_BIN is explained.
#include <cstdlib>

#include "tests/integration/router_test.hpp"

namespace clasp::test {
namespace {

using router_process_test = router_test;

TEST_F(router_process_test, restart_after_kill9_reuses_the_port) {
  const auto port = router().port();
  EXPECT_GT(router().rss_kb(), 0);
  auto before = client();
  router().kill9();
  EXPECT_FALSE(router().running());
  EXPECT_TRUE(before->is_closed());

  router().restart();
  EXPECT_TRUE(router().running());
  EXPECT_EQ(router().port(), port);
  auto after = client();
  ASSERT_TRUE(after->send(msg::ping{}));
  EXPECT_TRUE(after->expect<msg::pong>().has_value());
}

TEST(router_process_env, missing_clasp_bin_is_a_clear_error) {
  const char* saved = std::getenv("CLASP_BIN");
  std::string keep = saved ? saved : "";
  ::unsetenv("CLASP_BIN");
  try {
    router_process r(router_process::server_args());
    ADD_FAILURE() << "started a router without CLASP_BIN";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("CLASP_BIN"), std::string::npos) << e.what();
  }
  if (saved) ::setenv("CLASP_BIN", keep.c_str(), 1);
}

}  // namespace
}  // namespace clasp::test
