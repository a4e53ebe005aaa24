// The plain counters router_core keeps for /metrics: messages by type in and
// out, sessions by role, sync answers, outbound queue totals; and the
// histogram they use.
#include <gtest/gtest.h>

#include "actors/router/value_histogram.hpp"
#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

std::uint64_t in(const router::router_core& core, message_type t) {
  return core.counters().messages_in[static_cast<std::uint8_t>(t)];
}
std::uint64_t out(const router::router_core& core, message_type t) {
  return core.counters().messages_out[static_cast<std::uint8_t>(t)];
}

class RouterCoreCounters : public router_core_test {
 protected:
  // Frames of type `t` every fake connection received.
  std::uint64_t delivered(message_type t) const {
    std::uint64_t n = 0;
    for (const auto& [id, c] : conns_)
      for (const auto& f : c->frames()) n += f.decoded.msg.type() == t;
    return n;
  }
};

TEST_F(RouterCoreCounters, MessagesInAndOutAreCountedByType) {
  attach(1);
  attach(2);
  send(2, subscribe(1, "/a/**"));
  for (int i = 0; i < 3; ++i) send(1, set("/a/x", i));
  send(1, msg::get{"/a/x"});
  send(1, msg::get{"/missing"});

  EXPECT_EQ(in(core_, message_type::set), 3u);
  EXPECT_EQ(in(core_, message_type::subscribe), 1u);
  EXPECT_EQ(in(core_, message_type::get), 2u);
  EXPECT_EQ(in(core_, message_type::publish), 0u);
  // Out counts match what the connections really got, type by type.
  for (auto t : {message_type::set, message_type::ack, message_type::snapshot, message_type::error})
    EXPECT_EQ(out(core_, t), delivered(t)) << to_string(t);
  EXPECT_EQ(out(core_, message_type::set), 3u) << "one fan-out SET per write to the subscriber";
  EXPECT_EQ(out(core_, message_type::error), 1u) << "the GET of an unknown address";
}

TEST_F(RouterCoreCounters, BundleCountsOnceNotPerInnerMessage) {
  attach(1);
  msg::bundle b;
  b.messages.push_back(set("/b/1", 1));
  b.messages.push_back(set("/b/2", 2));
  send(1, b);
  EXPECT_EQ(in(core_, message_type::bundle), 1u);
  EXPECT_EQ(in(core_, message_type::set), 0u);
  EXPECT_EQ(core_.counters().sets_applied, 2u) << "the inner SETs were applied all the same";
}

TEST_F(RouterCoreCounters, SessionsByRoleFollowAttachAndDetach) {
  attach(1);
  attach(2);
  core_.attach(3, "peer", std::make_shared<fake_connection>(), router::session_role::inbound_peer);
  auto now = core_.sessions_by_role();
  EXPECT_EQ(now[static_cast<std::size_t>(router::session_role::client)], 2u);
  EXPECT_EQ(now[static_cast<std::size_t>(router::session_role::inbound_peer)], 1u);
  EXPECT_EQ(now[static_cast<std::size_t>(router::session_role::upstream)], 0u);

  core_.detach(2);
  now = core_.sessions_by_role();
  EXPECT_EQ(now[static_cast<std::size_t>(router::session_role::client)], 1u);
  const auto& attached = core_.counters().sessions_attached;
  EXPECT_EQ(attached[static_cast<std::size_t>(router::session_role::client)], 2u)
      << "a total: detaching does not lower it";
  EXPECT_EQ(attached[static_cast<std::size_t>(router::session_role::inbound_peer)], 1u);
}

TEST_F(RouterCoreCounters, SubscriptionCountSumsEverySession) {
  attach(1);
  attach(2);
  send(1, subscribe(1, "/a/**"));
  send(1, subscribe(2, "/b"));
  send(2, subscribe(1, "/**"));
  EXPECT_EQ(core_.subscription_count(), 3u);
  core_.detach(1);
  EXPECT_EQ(core_.subscription_count(), 1u);
}

TEST_F(RouterCoreCounters, CompletedSyncAnswerRecordsItsBytesAndDuration) {
  attach(1);
  auto& link = attach(10, "leaf-session");
  core_.mark_link(10, "leaf");
  for (int i = 0; i < 5; ++i) send(1, set("/s/" + std::to_string(i), i));
  link.clear();

  core_.send_sync(10, {"/s/**"}, 0);

  ASSERT_FALSE(link.all<msg::federation_sync>().empty()) << "the answer ends with SyncComplete";
  std::uint64_t bytes = 0;
  for (const auto& f : link.frames()) bytes += f.bytes->size();
  EXPECT_EQ(core_.counters().sync_answer_bytes, bytes);
  EXPECT_EQ(core_.counters().sync_answer_seconds.count(), 1u);
  EXPECT_GE(core_.counters().sync_answer_seconds.sum(), 0.0);
}

TEST_F(RouterCoreCounters, PacedSyncIsRecordedOnlyWhenItCompletes) {
  attach(1);
  auto& link = attach(10, "leaf-session");
  core_.mark_link(10, "leaf");
  // Enough params for several SNAPSHOT parts (each under 60,000 bytes).
  for (int i = 0; i < 3000; ++i) send(1, set("/p/" + std::to_string(i), std::string(100, 'x')));
  link.hold(true);
  core_.send_sync(10, {"/p/**"}, 0);
  ASSERT_TRUE(core_.has_pending_syncs()) << "the held queue must pause the answer";
  EXPECT_EQ(core_.counters().sync_answer_seconds.count(), 0u);
  EXPECT_EQ(core_.counters().sync_answer_bytes, 0u);
  while (core_.has_pending_syncs()) {
    link.drain();
    core_.pump_syncs();
  }
  EXPECT_EQ(core_.counters().sync_answer_seconds.count(), 1u);
  std::uint64_t bytes = 0;
  for (const auto& f : link.frames())
    if (!f.decoded.msg.is<msg::ack>()) bytes += f.bytes->size();
  EXPECT_EQ(core_.counters().sync_answer_bytes, bytes);
}

TEST_F(RouterCoreCounters, OutboundTotalsSumAndMaxOverConnections) {
  attach(1);
  auto& a = attach(2);
  auto& b = attach(3);
  send(2, subscribe(1, "/q/**"));
  send(3, subscribe(1, "/q/**"));
  a.clear();
  b.clear();
  a.hold(true);
  b.hold(true);
  send(1, set("/q/1", 1));
  send(1, set("/q/2", std::string(200, 'y')));
  send(3, msg::get{"/q/1"});  // one more frame towards b only
  std::uint64_t qa = 0, qb = 0;
  for (const auto& f : a.frames()) qa += f.bytes->size();
  for (const auto& f : b.frames()) qb += f.bytes->size();
  ASSERT_GT(qb, qa);
  const auto t = core_.outbound();
  EXPECT_EQ(t.bytes_queued, qa + qb);
  EXPECT_EQ(t.max_bytes_queued, qb);
}

TEST(ValueHistogram, BucketsAreUpperInclusiveWithAnInfiniteLast) {
  router::value_histogram h({0.1, 1, 10});
  h.observe(0.1);  // le=0.1
  h.observe(0.5);  // le=1
  h.observe(1);    // le=1
  h.observe(100);  // +Inf
  EXPECT_EQ(h.bucket_counts(), (std::vector<std::uint64_t>{1, 2, 0, 1}));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_DOUBLE_EQ(h.sum(), 101.6);
}

}  // namespace
}  // namespace clasp::testing
