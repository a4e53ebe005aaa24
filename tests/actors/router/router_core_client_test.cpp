// router_core, client side: SET/ACK/fan-out, SUBSCRIBE with snapshot, GET,
// BUNDLE, PUBLISH, QUERY and what a detach releases.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "tests/actors/router/router_core_fixture.hpp"

namespace clasp::testing {
namespace {

std::uint64_t wall_now_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

class RouterCoreClient : public router_core_test {};

TEST_F(RouterCoreClient, SetIsAppliedAckedAndFannedOutOncePerSession) {
  attach(1);
  auto& sub = attach(2);
  auto& other = attach(3);
  send(2, subscribe(1, "/a/**"));
  send(2, subscribe(2, "/a/x"));
  send(2, subscribe(3, "/**"));
  send(3, subscribe(1, "/b/**"));
  clear_all();

  send(1, set("/a/x", 42));

  auto sets = sub.all<msg::set>();
  ASSERT_EQ(sets.size(), 1u) << "a session with three matching subscriptions gets the SET once";
  EXPECT_EQ(sets[0].address, "/a/x");
  EXPECT_EQ(sets[0].val, value(42));
  EXPECT_EQ(sets[0].revision, std::optional<revision_t>(first_rev()));
  EXPECT_EQ(sub.frames()[0].cls, transport::send_class::param);
  EXPECT_EQ(sub.frames()[0].coalesce_key, "/a/x");
  EXPECT_TRUE(other.frames().empty());

  auto acks = conn(1).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].address, std::optional<std::string>("/a/x"));
  EXPECT_EQ(acks[0].revision, std::optional<revision_t>(first_rev()));
  EXPECT_TRUE(conn(1).all<msg::set>().empty()) << "an unsubscribed writer gets no copy";
  EXPECT_EQ(core_.counters().sets_applied, 1u);

  send(1, set("/a/x", 43));
  EXPECT_EQ(sub.all<msg::set>().back().revision, std::optional<revision_t>(first_rev() + 1));
  EXPECT_EQ(conn(1).all<msg::ack>().back().revision, std::optional<revision_t>(first_rev() + 1));
}

TEST_F(RouterCoreClient, WriterGetsItsOwnSetWhenSubscribed) {
  auto& writer = attach(1);
  send(1, subscribe(1, "/a/**"));
  writer.clear();
  send(1, set("/a/x", 1.5));
  auto sets = writer.all<msg::set>();
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].val, value(1.5));
  EXPECT_EQ(writer.all<msg::ack>().size(), 1u);
}

TEST_F(RouterCoreClient, FireQosSetGetsNoAck) {
  attach(1);
  send(1, set("/a/x", 1), codec::qos::fire);
  EXPECT_TRUE(conn(1).frames().empty());
  ASSERT_NE(core_.params().find_live("/a/x"), nullptr);
}

TEST_F(RouterCoreClient, SetToAnInvalidAddressGets200) {
  attach(1);
  send(1, set("no-slash", 1));
  EXPECT_EQ(only_error(conn(1)).code, error_code::invalid_address);
  EXPECT_EQ(core_.params().size(), 0u);
}

TEST_F(RouterCoreClient, RevisionConflictGets400AndNoFanOut) {
  attach(1);
  auto& sub = attach(2);
  send(2, subscribe(1, "/**"));
  send(1, set("/a/x", 1));
  clear_all();
  send(1, set("/a/x", 2, revision_t{7}));
  auto e = only_error(conn(1));
  EXPECT_EQ(e.code, error_code::bad_request);
  EXPECT_EQ(e.address, std::optional<std::string>("/a/x"));
  EXPECT_TRUE(sub.frames().empty());
  send(1, set("/a/x", 2, first_rev()));
  EXPECT_EQ(sub.all<msg::set>().size(), 1u);
}

TEST_F(RouterCoreClient, LockIsReportedInTheAckAndRefusesOthersWith401) {
  attach(1, "alice");
  attach(2, "bob");
  auto lock = set("/fader", 0.5);
  lock.lock = true;
  send(1, lock);
  auto acks = conn(1).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].locked, std::optional<bool>(true));
  EXPECT_EQ(acks[0].holder, std::optional<std::string>("alice"));

  send(2, set("/fader", 0.9));
  EXPECT_EQ(only_error(conn(2)).code, error_code::lock_held);
  EXPECT_EQ(core_.params().find("/fader")->val, value(0.5));

  auto unlock = set("/fader", 0.6);
  unlock.unlock = true;
  conn(1).clear();
  send(1, unlock);
  acks = conn(1).all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].locked, std::optional<bool>(false));
  conn(2).clear();
  send(2, set("/fader", 0.9));
  EXPECT_TRUE(conn(2).all<msg::error>().empty());
}

TEST_F(RouterCoreClient, SubscribeSendsASnapshotOfMatchingParamsThenAnAck) {
  attach(1);
  auto& sub = attach(2);
  send(1, set("/m/a", 1));
  send(1, set("/m/b", 2));
  send(1, set("/m/b", 3));
  send(1, set("/other", 4));
  send(2, subscribe(9, "/m/*"));
  auto snaps = sub.all<msg::snapshot>();
  ASSERT_EQ(snaps.size(), 1u);
  std::map<std::string, std::pair<value, revision_t>> got;
  for (const auto& p : snaps[0].params) got[p.address] = {p.val, p.revision};
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(got["/m/a"], std::make_pair(value(1), first_rev()));
  EXPECT_EQ(got["/m/b"], std::make_pair(value(3), first_rev() + 1));
  auto acks = sub.all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].correlation_id, std::optional<std::uint32_t>(9));
  ASSERT_FALSE(sub.messages().empty());
  EXPECT_TRUE(sub.messages().back().is<msg::ack>()) << "the ACK follows the snapshot";
}

TEST_F(RouterCoreClient, SubscribeWithoutTheParamBitGetsNoSnapshot) {
  attach(1);
  auto& sub = attach(2);
  send(1, set("/m/a", 1));
  send(2, subscribe(1, "/m/**", type_mask::event));
  EXPECT_TRUE(sub.all<msg::snapshot>().empty());
  sub.clear();
  send(1, set("/m/a", 2));
  EXPECT_TRUE(sub.all<msg::set>().empty()) << "an event-only subscription receives no param SET";
}

TEST_F(RouterCoreClient, SubscribeSnapshotIsSplitIntoFramesUnderThePayloadLimit) {
  attach(1);
  auto& sub = attach(2);
  constexpr int count = 300;
  for (int i = 0; i < count; ++i)
    send(1, set("/big/" + std::to_string(i), std::string(1000, 'v')), codec::qos::fire);
  send(2, subscribe(1, "/big/**"), codec::qos::fire);
  std::set<std::string> seen;
  std::size_t parts = 0;
  for (const auto& f : sub.frames()) {
    ASSERT_TRUE(f.decoded.msg.is<msg::snapshot>());
    ++parts;
    EXPECT_LE(f.bytes->size() - codec::header_size, codec::max_payload);
    for (const auto& p : f.decoded.msg.as<msg::snapshot>().params) seen.insert(p.address);
  }
  EXPECT_GE(parts, 5u) << "300 KB of params cannot fit fewer than 5 frames";
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(count)) << "every param is in exactly one part";
}

// A subscription to a big table is paced like a sync answer: it must not
// overflow the subscriber's queue (which would close the connection).
TEST_F(RouterCoreClient, BigSubscribeSnapshotWaitsForTheQueueAndAcksAtTheEnd) {
  attach(1);
  auto& sub = attach(2);
  constexpr int count = 3000;  // ~3 MB
  for (int i = 0; i < count; ++i)
    send(1, set("/big/" + std::to_string(i), std::string(1000, 'v')), codec::qos::fire);
  sub.hold(true);
  send(2, subscribe(7, "/big/**"), codec::qos::confirm);
  const auto first = sub.stats().bytes_queued;
  EXPECT_LT(first, 256u * 1024 + 65536) << "one part over the 256 KiB budget at most";
  EXPECT_TRUE(sub.all<msg::ack>().empty()) << "the ACK follows the whole snapshot";
  int pumps = 0;
  while (core_.has_pending_syncs() && pumps < 1000) {
    sub.drain();
    core_.pump_syncs();
    ++pumps;
  }
  EXPECT_GT(pumps, 5);
  std::set<std::string> seen;
  for (const auto& snap : sub.all<msg::snapshot>())
    for (const auto& p : snap.params) seen.insert(p.address);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(count));
  ASSERT_TRUE(sub.messages().back().is<msg::ack>());
  EXPECT_EQ(sub.messages().back().as<msg::ack>().correlation_id, std::optional<std::uint32_t>(7));
}

TEST_F(RouterCoreClient, BadPatternGets202WithTheCorrelationId) {
  auto& c = attach(1);
  send(1, subscribe(5, "/a/b*"));
  auto e = only_error(c);
  EXPECT_EQ(e.code, error_code::pattern_error);
  EXPECT_EQ(e.correlation_id, std::optional<std::uint32_t>(5));
  EXPECT_TRUE(c.all<msg::ack>().empty());
}

class RouterCoreSmallLimit : public router_core_test {
 protected:
  RouterCoreSmallLimit() : router_core_test(limited()) {}
  static router::router_config limited() {
    auto cfg = config();
    cfg.max_subscriptions = 3;
    return cfg;
  }
};

TEST_F(RouterCoreSmallLimit, SubscriptionsPastTheLimitGet429) {
  auto& c = attach(1);
  attach(2);
  for (std::uint32_t id = 1; id <= 3; ++id) send(1, subscribe(id, "/s/" + std::to_string(id)));
  EXPECT_TRUE(c.all<msg::error>().empty());
  c.clear();
  send(1, subscribe(4, "/s/4"));
  auto e = only_error(c);
  EXPECT_EQ(e.code, error_code::too_many_subscriptions);
  EXPECT_EQ(e.correlation_id, std::optional<std::uint32_t>(4));
  c.clear();
  send(2, set("/s/4", 1));
  EXPECT_TRUE(c.all<msg::set>().empty()) << "the refused subscription must not deliver";
  // Another session has its own budget; unsubscribing frees a slot.
  send(2, subscribe(1, "/s/4"));
  EXPECT_TRUE(conn(2).all<msg::error>().empty());
  send(1, msg::unsubscribe{1});
  c.clear();
  send(1, subscribe(4, "/s/4"));
  EXPECT_TRUE(c.all<msg::error>().empty());
}

TEST_F(RouterCoreClient, UnsubscribeStopsDelivery) {
  attach(1);
  auto& sub = attach(2);
  send(2, subscribe(3, "/a/**"));
  send(2, msg::unsubscribe{3});
  sub.clear();
  send(1, set("/a/x", 1));
  EXPECT_TRUE(sub.frames().empty());
}

TEST_F(RouterCoreClient, GetAnswersWithASnapshotOr201) {
  auto& c = attach(1);
  send(1, set("/g", "hello"));
  c.clear();
  send(1, msg::get{"/g"});
  auto snaps = c.all<msg::snapshot>();
  ASSERT_EQ(snaps.size(), 1u);
  ASSERT_EQ(snaps[0].params.size(), 1u);
  EXPECT_EQ(snaps[0].params[0].address, "/g");
  EXPECT_EQ(snaps[0].params[0].val, value("hello"));
  EXPECT_EQ(snaps[0].params[0].revision, first_rev());

  c.clear();
  send(1, msg::get{"/missing"});
  auto e = only_error(c);
  EXPECT_EQ(e.code, error_code::address_not_found);
  EXPECT_EQ(e.address, std::optional<std::string>("/missing"));

  c.clear();
  send(1, msg::get{"bad"});
  EXPECT_EQ(only_error(c).code, error_code::invalid_address);
}

TEST_F(RouterCoreClient, GetOfAnExpiredParamIs201) {
  auto& c = attach(1);
  auto s = set("/ttl", 1);
  s.ttl = ttl_spec{false, 1};
  send(1, s);
  core_.expire_due(wall_now_us() + 10'000'000);
  ASSERT_EQ(core_.params().find_live("/ttl"), nullptr);
  c.clear();
  send(1, msg::get{"/ttl"});
  EXPECT_EQ(only_error(c).code, error_code::address_not_found);
}

TEST_F(RouterCoreClient, BundleAppliesEverythingWithOneAck) {
  auto& c = attach(1);
  auto& sub = attach(2);
  send(2, subscribe(1, "/**"));
  sub.clear();
  msg::bundle b;
  b.messages.push_back(set("/x", 1));
  b.messages.push_back(set("/x", 2, first_rev()));
  b.messages.push_back(set("/y", 3));
  b.messages.push_back(event("/e", 4));
  send(1, b);
  EXPECT_EQ(core_.params().find("/x")->val, value(2));
  EXPECT_EQ(core_.params().find("/x")->revision, first_rev() + 1);
  EXPECT_EQ(core_.params().find("/y")->val, value(3));
  EXPECT_EQ(c.all<msg::ack>().size(), 1u) << "a bundle yields one ACK, not one per SET";
  EXPECT_TRUE(c.all<msg::error>().empty());
  EXPECT_EQ(sub.all<msg::set>().size(), 3u);
  EXPECT_EQ(sub.all<msg::publish>().size(), 1u);
}

TEST_F(RouterCoreClient, BundleWithOneBadSetAppliesNothing) {
  auto& c = attach(1);
  auto& sub = attach(2);
  send(2, subscribe(1, "/**"));
  send(1, set("/x", 0));
  clear_all();
  msg::bundle b;
  b.messages.push_back(set("/x", 1));
  b.messages.push_back(set("/y", 2));
  b.messages.push_back(set("/x", 3, revision_t{5}));  // the bundle would leave /x at 3
  send(1, b);
  EXPECT_EQ(only_error(c).code, error_code::bad_request);
  EXPECT_TRUE(c.all<msg::ack>().empty());
  EXPECT_EQ(core_.params().find("/x")->val, value(0));
  EXPECT_EQ(core_.params().find("/y"), nullptr);
  EXPECT_TRUE(sub.frames().empty());
}

TEST_F(RouterCoreClient, BundleTouchingAParamLockedByAnotherAppliesNothing) {
  attach(1, "alice");
  auto& c = attach(2, "bob");
  auto lock = set("/locked", 1);
  lock.lock = true;
  send(1, lock);
  msg::bundle b;
  b.messages.push_back(set("/free", 1));
  b.messages.push_back(set("/locked", 2));
  send(2, b);
  EXPECT_EQ(only_error(c).code, error_code::lock_held);
  EXPECT_EQ(core_.params().find("/free"), nullptr);
}

TEST_F(RouterCoreClient, BundleWithAnInvalidPublishOrNestedBundleAppliesNothing) {
  auto& c = attach(1);
  msg::bundle b;
  b.messages.push_back(set("/x", 1));
  b.messages.push_back(event("bad", 1));
  send(1, b);
  EXPECT_EQ(only_error(c).code, error_code::invalid_address);
  c.clear();
  msg::bundle nested;
  nested.messages.push_back(set("/x", 1));
  nested.messages.push_back(msg::bundle{});
  send(1, nested);
  EXPECT_EQ(only_error(c).code, error_code::bad_request);
  EXPECT_EQ(core_.params().find("/x"), nullptr);
}

TEST_F(RouterCoreClient, BundleOnAnExpiredParamIsAllOrNothing) {
  auto& c = attach(1);
  auto s = set("/t", 0);
  s.ttl = ttl_spec{false, 1};
  send(1, s);                                    // revision 1
  core_.expire_due(wall_now_us() + 10'000'000);  // tombstone, revision 2
  ASSERT_EQ(core_.params().find_live("/t"), nullptr);
  c.clear();
  // The second SET is conditional on the revision the first one leaves.
  // The bundle check predicts 1 (ignoring the tombstone); the store will hold 3.
  msg::bundle b;
  b.messages.push_back(set("/t", 1));
  b.messages.push_back(set("/t", 2, revision_t{1}));
  send(1, b);
  const bool refused = !c.all<msg::error>().empty();
  const auto* rec = core_.params().find_live("/t");
  if (refused) {
    EXPECT_EQ(rec, nullptr) << "BUG: BUNDLE partly applied: an ERROR was sent, yet its first SET "
                               "was applied (revision "
                            << (rec ? rec->revision : 0)
                            << "); the bundle pre-check predicts revision 1 for an address "
                               "whose tombstone holds revision 2";
  } else {
    ASSERT_NE(rec, nullptr);
    EXPECT_EQ(rec->val, value(2));
  }
}

TEST_F(RouterCoreClient, PublishIsDeliveredByTypeMaskAndNeverStored) {
  auto& c = attach(1);
  auto& events = attach(2);
  auto& params_only = attach(3);
  send(2, subscribe(1, "/e/**", type_mask::event));
  send(3, subscribe(1, "/e/**", type_mask::param));
  send(2, subscribe(2, "/e/*"));  // overlapping: still one delivery
  clear_all();
  send(1, event("/e/hit", 1));
  auto pubs = events.all<msg::publish>();
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].address, "/e/hit");
  EXPECT_EQ(pubs[0].val, std::optional<value>(value(1)));
  EXPECT_TRUE(params_only.frames().empty());
  auto acks = c.all<msg::ack>();
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].address, std::optional<std::string>("/e/hit"));
  EXPECT_EQ(core_.params().size(), 0u) << "PUBLISH must never be stored";
  c.clear();
  send(1, msg::get{"/e/hit"});
  EXPECT_EQ(only_error(c).code, error_code::address_not_found);
}

TEST_F(RouterCoreClient, StreamSamplesAreSentAsDroppable) {
  attach(1);
  auto& sub = attach(2);
  send(2, subscribe(1, "/s/**", type_mask::stream));
  sub.clear();
  msg::publish p;
  p.signal = signal_type::stream;
  p.address = "/s/x";
  p.samples = std::vector<double>{1.0, 2.0};
  send(1, p, codec::qos::fire);
  ASSERT_EQ(sub.frames().size(), 1u);
  EXPECT_EQ(sub.frames()[0].cls, transport::send_class::stream);
}

TEST_F(RouterCoreClient, QueryListsAnnouncedSignalsAndParamsUnderThePattern) {
  auto& c = attach(1);
  msg::announce a;
  a.ns = "/q";
  signal_definition def;
  def.address = "/q/announced";
  def.type = signal_type::event;
  def.datatype = "f32";
  def.meta = signal_meta{};
  def.meta->unit = "dB";
  a.signals.push_back(def);
  send(1, a);
  send(1, set("/q/param", 1));
  send(1, set("/q/announced", 2));
  send(1, set("/elsewhere", 3));
  c.clear();
  send(1, msg::query{"/q/**"});
  auto results = c.all<msg::result>();
  ASSERT_EQ(results.size(), 1u);
  std::map<std::string, signal_definition> got;
  for (const auto& s : results[0].signals) got[s.address] = s;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got["/q/announced"].type, signal_type::event);
  EXPECT_EQ(got["/q/announced"].datatype, std::optional<std::string>("f32"));
  EXPECT_FALSE(got["/q/announced"].meta.has_value()) << "RESULT carries no meta";
  EXPECT_EQ(got["/q/param"].type, signal_type::param);

  c.clear();
  send(1, msg::query{"/q/**x"});
  EXPECT_EQ(only_error(c).code, error_code::pattern_error);
}

TEST_F(RouterCoreClient, DetachReleasesLocksAndSubscriptions) {
  auto& gone = attach(1, "alice");
  auto& c = attach(2, "bob");
  send(1, subscribe(1, "/**"));
  auto lock = set("/x", 1);
  lock.lock = true;
  send(1, lock);
  core_.detach(1);
  EXPECT_EQ(core_.session_count(), 1u);
  gone.clear();
  send(2, set("/x", 2));
  EXPECT_TRUE(c.all<msg::error>().empty()) << "the lock of a detached session must be released";
  EXPECT_EQ(core_.params().find("/x")->val, value(2));
  EXPECT_TRUE(gone.frames().empty()) << "a detached session must receive nothing";
  core_.detach(1);        // twice: harmless
  send(1, set("/x", 3));  // unknown session: ignored
  EXPECT_EQ(core_.params().find("/x")->val, value(2));
}

TEST_F(RouterCoreClient, ControlMessages) {
  auto& c = attach(1);
  send(1, msg::ping{}, codec::qos::fire);
  ASSERT_EQ(c.messages().size(), 1u);
  EXPECT_TRUE(c.messages()[0].is<msg::pong>());
  c.clear();
  msg::federation_sync fs;
  fs.op = federation_op::request_sync;
  send(1, fs);
  EXPECT_EQ(only_error(c).code, error_code::federation_refused)
      << "FEDERATION_SYNC from a non-federation session is 403";
  c.clear();
  msg::replay replay;
  replay.pattern = "/a/**";
  send(1, replay);
  EXPECT_EQ(only_error(c).code, error_code::unavailable);
  c.clear();
  send(1, msg::welcome{});
  EXPECT_EQ(only_error(c).code, error_code::invalid_message);
}

TEST_F(RouterCoreClient, CloseAllClosesEverySession) {
  auto& a = attach(1);
  auto& b = attach(2);
  core_.close_all(1001, "shutdown");
  EXPECT_TRUE(a.closed());
  EXPECT_TRUE(b.closed());
  EXPECT_EQ(a.close_code(), 1001);
}

}  // namespace
}  // namespace clasp::testing
