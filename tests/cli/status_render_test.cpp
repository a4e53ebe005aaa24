// The `clasp status` page for a given GET /status document, including fields
// an older or newer router may leave out or add.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/status_command.hpp"

namespace clasp::app {
namespace {

using json = nlohmann::json;

TEST(StatusRender, IdentityAndOneRowPerPeer) {
  auto doc = json::parse(R"({"router_id": "hub", "mode": "hub", "namespaces": [], "uptime_s": 3725,
    "version": "0.1.0", "peers": [
      {"router_id": "site-a", "state": "Active", "namespaces": ["/a/**", "/x/**"], "outbound": false,
       "reconnect_attempts": 0, "last_error": ""},
      {"router_id": "site-b", "state": "Reconnecting", "namespaces": ["/b/**"], "outbound": true,
       "reconnect_attempts": 3, "last_error": "connection refused", "messages_in": 12,
       "messages_out": 34, "sync_lag_s": 2.345}]})");
  auto page = render_status(doc);
  EXPECT_NE(page.find("router     hub\n"), std::string::npos) << page;
  EXPECT_NE(page.find("uptime     1h 02m 05s\n"), std::string::npos) << page;
  EXPECT_NE(page.find("namespaces -\n"), std::string::npos) << page;
  EXPECT_NE(page.find("peers (2)\n"), std::string::npos) << page;
  auto row = [&](const std::string& id) {
    auto at = page.find("\n" + id + " ");
    return at == std::string::npos ? "" : page.substr(at + 1, page.find('\n', at + 1) - at - 1);
  };
  auto a = row("site-a"), b = row("site-b");
  EXPECT_NE(a.find("Active"), std::string::npos) << a;
  EXPECT_NE(a.find("inbound"), std::string::npos) << a;
  EXPECT_NE(a.find("/a/**,/x/**"), std::string::npos) << a;
  EXPECT_NE(b.find("outbound"), std::string::npos) << b;
  EXPECT_NE(b.find("connection refused"), std::string::npos) << b;
  EXPECT_NE(b.find("34"), std::string::npos) << b;
  EXPECT_NE(b.find(" 2.3s "), std::string::npos) << "sync lag in seconds: " << b;
  EXPECT_NE(a.find("  -  "), std::string::npos) << "no link traffic reported: dashes: " << a;
  // Columns line up: every row starts its STATE cell where the header does.
  auto header_at = page.find("ROUTER ID");
  auto header = page.substr(header_at, page.find('\n', header_at) - header_at);
  EXPECT_EQ(a.find("Active"), header.find("STATE"));
  EXPECT_EQ(b.find("Reconnecting"), header.find("STATE"));
}

TEST(StatusRender, MissingFieldsPrintDashesNotCrash) {
  auto page = render_status(json::parse(R"({"peers": [{}]})"));
  EXPECT_NE(page.find("router     -\n"), std::string::npos) << page;
  EXPECT_NE(page.find("peers (1)"), std::string::npos) << page;
  EXPECT_NO_THROW(render_status(json::parse("[]")));
  EXPECT_NO_THROW(render_status(json::parse(R"({"peers": "none", "uptime_s": "x"})")));
}

}  // namespace
}  // namespace clasp::app
