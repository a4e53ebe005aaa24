// Issue 11 item 6 at the wire: FEDERATION_SYNC count limits (1,000 patterns,
// 10,000 revision entries) answer 400 before any rights check would answer 403.
#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

std::vector<std::string> patterns(int n, const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i) + "/**");
  return out;
}

// (10,001 revision entries do not fit one 65,535-byte frame, so on the wire
// the pattern limit is the one a peer can reach; both are checked by one
// function, unit-tested in sync_limits_unit_test.cpp.)
class sync_limits : public ::testing::Test {
 protected:
  router_process hub_{hub_args("hub")};
};

TEST_F(sync_limits, undeclared_peer_oversized_request_sync_gets_400_not_403) {
  raw_peer peer;
  ASSERT_TRUE(peer.join(hub_.port()));
  ASSERT_TRUE(peer.wire().send(fed_sync(federation_op::request_sync, patterns(1001, "/p/"))));
  auto e = peer.next_error();
  ASSERT_TRUE(e.has_value()) << "no answer to a RequestSync with 1,001 patterns";
  EXPECT_EQ(e->code, error_code::bad_request) << e->message;
  EXPECT_NE(e->message.find("1001"), std::string::npos) << e->message;

  // At the limit it is a rights question again.
  ASSERT_TRUE(peer.wire().send(fed_sync(federation_op::request_sync, patterns(1000, "/p/"))));
  e = peer.next_error();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, error_code::federation_refused) << e->message;
}

TEST_F(sync_limits, every_op_from_an_undeclared_peer_is_limit_checked_first) {
  raw_peer peer;
  ASSERT_TRUE(peer.join(hub_.port()));
  for (auto op : {federation_op::request_sync, federation_op::sync_complete,
                  federation_op::revision_vector}) {
    auto m = fed_sync(op, patterns(1001, "/p/"));
    m.revisions.emplace_back("/p/1/x", 1);
    ASSERT_TRUE(peer.wire().send(m));
    auto e = peer.next_error();
    ASSERT_TRUE(e.has_value()) << "op " << static_cast<int>(op);
    EXPECT_EQ(e->code, error_code::bad_request)
        << "op " << static_cast<int>(op) << ": " << e->message;
  }
  auto declare = fed_sync(federation_op::declare_namespaces, patterns(1001, "/d/"), "site-z");
  ASSERT_TRUE(peer.wire().send(declare));
  auto e = peer.next_error();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, error_code::bad_request) << e->message;
  expect_serves_clients(hub_.port());
}

TEST_F(sync_limits, declared_peer_oversized_uncovered_request_gets_400) {
  raw_peer peer;
  ASSERT_TRUE(peer.join_as(hub_.port(), "site-c", {"/site-c/**"}));
  // Not covered by its namespaces either: the limit is reported, not the rights.
  ASSERT_TRUE(peer.wire().send(fed_sync(federation_op::request_sync, patterns(1001, "/other/"))));
  auto e = peer.next_error();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, error_code::bad_request) << e->message;
  ASSERT_TRUE(
      peer.wire().send(fed_sync(federation_op::revision_vector, patterns(1001, "/site-c/"))));
  e = peer.next_error();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, error_code::bad_request) << e->message;
}

TEST_F(sync_limits, client_session_oversized_federation_sync_gets_400) {
  auto c = client_at(hub_.port(), "not-a-peer");
  ASSERT_TRUE(c->send(fed_sync(federation_op::request_sync, patterns(1001, "/p/"))));
  auto e = c->recv_until<msg::error>([](const msg::error&) { return true; });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, error_code::bad_request) << e->message;
  ASSERT_TRUE(c->send(fed_sync(federation_op::request_sync, {"/p/**"})));
  e = c->recv_until<msg::error>([](const msg::error&) { return true; });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, error_code::federation_refused)
      << "within the limits, a non-peer still gets 403";
}

}  // namespace
}  // namespace clasp::fedtest
