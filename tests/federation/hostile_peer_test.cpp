// Guarantees 8 and 9 at the wire: a hand-driven peer breaks each federation
// rule against a real hub; every refusal is checked, and the hub keeps serving.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "messages/codec.hpp"
#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

class hostile_peer : public ::testing::Test {
 protected:
  void SetUp() override { hub_ = std::make_unique<router_process>(hub_args("hub", hub_extra_)); }
  void TearDown() override {
    if (hub_ && hub_->running()) expect_serves_clients(hub_->port());
  }
  std::uint16_t port() const { return hub_->port(); }

  std::vector<std::string> hub_extra_;
  std::unique_ptr<router_process> hub_;
};

void expect_error(const std::optional<message>& reply, std::uint16_t code, const char* what) {
  ASSERT_TRUE(reply.has_value()) << what << ": no reply";
  ASSERT_TRUE(reply->is<msg::error>()) << what << ": expected ERROR " << code << ", got "
                                       << test::describe(*reply);
  EXPECT_EQ(reply->as<msg::error>().code, code) << what << ": " << test::describe(*reply);
}

TEST_F(hostile_peer, federation_sync_from_plain_client_is_403) {
  auto c = client_at(port(), "not-a-peer");
  ASSERT_TRUE(c->send(fed_sync(federation_op::declare_namespaces, {"/evil/**"}, "evil")));
  auto e = c->recv_until<msg::error>([](const msg::error&) { return true; });
  ASSERT_TRUE(e.has_value()) << "no ERROR for FEDERATION_SYNC from a plain client";
  EXPECT_EQ(e->code, error_code::federation_refused) << e->message;
  ASSERT_TRUE(c->send(fed_sync(federation_op::request_sync, {"/**"}, "evil")));
  e = c->recv_until<msg::error>([](const msg::error&) { return true; });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, error_code::federation_refused) << e->message;
  // Not registered as a peer.
  auto peers = peers_of(port());
  EXPECT_TRUE(peer_entry(peers, "evil").is_null()) << peers.dump();
}

TEST_F(hostile_peer, declaring_1001_patterns_is_400) {
  std::vector<std::string> patterns;
  for (int i = 0; i < 1001; ++i) patterns.push_back("/p" + std::to_string(i) + "/**");
  raw_peer peer;
  ASSERT_TRUE(peer.join(port()));
  expect_error(peer.declare(patterns, "greedy"), error_code::bad_request, "1,001 patterns");
  // Exactly 1,000 is allowed.
  patterns.pop_back();
  raw_peer ok;
  ASSERT_TRUE(ok.join(port()));
  auto reply = ok.declare(patterns, "at-limit");
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? test::describe(*reply) : "no reply");
}

TEST_F(hostile_peer, oversized_revision_vector_is_refused) {
  raw_peer peer;
  ASSERT_TRUE(peer.join_as(port(), "site-c", {"/site-c/**"}));
  // 10,001 entries cannot fit one 65,535-byte frame (each is at least 11 bytes):
  // the codec refuses to build it, so on the wire the 10,000 limit is only
  // reachable through a frame that claims more entries than it carries.
  auto big = fed_sync(federation_op::revision_vector, {"/site-c/**"}, "site-c");
  for (int i = 0; i < 10001; ++i) big.revisions.emplace_back("/site-c/" + std::to_string(i), 1);
  EXPECT_FALSE(codec::encode_frame(message{big}).has_value());

  // Hand-made frame: count 10,001 but only as many entries as fit.
  std::string payload;
  payload.push_back(static_cast<char>(message_type::federation_sync));
  payload.push_back(static_cast<char>(federation_op::revision_vector));
  payload += std::string("\x00\x01", 2);  // one pattern
  const std::string pat = "/site-c/**";
  payload.push_back(0);
  payload.push_back(static_cast<char>(pat.size()));
  payload += pat;
  payload.push_back(static_cast<char>(10001 >> 8));
  payload.push_back(static_cast<char>(10001 & 0xff));
  const std::string addr = "/site-c/a";
  while (payload.size() + 2 + addr.size() + 8 < 65000) {
    payload.push_back(0);
    payload.push_back(static_cast<char>(addr.size()));
    payload += addr;
    payload += std::string(7, '\0') + "\x01";
  }
  std::string frame;
  frame.push_back(static_cast<char>(codec::magic));
  frame.push_back(0x01);  // binary encoding, QoS fire
  frame.push_back(static_cast<char>(payload.size() >> 8));
  frame.push_back(static_cast<char>(payload.size() & 0xff));
  frame += payload;
  ASSERT_TRUE(peer.wire().send_raw(frame));
  auto e = peer.next_error();
  ASSERT_TRUE(e.has_value())
      << "no ERROR for a frame claiming a 10,001-entry revision vector (undecodable: it carries fewer). "
         "Router bug: the peer link's process_frames queues the decode ERROR as an inbound op, and "
         "router_core::handle treats an inbound ERROR from a federation link as a reply "
         "(on_link_reply), so the peer is never told its frame was refused";
  EXPECT_TRUE(e->code == error_code::bad_request || e->code == error_code::invalid_frame ||
              e->code == error_code::invalid_message)
      << "ERROR " << e->code << " " << e->message;
}

TEST_F(hostile_peer, largest_revision_vector_is_answered_with_newer_state) {
  raw_peer peer;
  ASSERT_TRUE(peer.join_as(port(), "site-c", {"/site-c/**"}));
  auto up = make_set("/site-c/known", 5);
  up.revision = 7;
  ASSERT_TRUE(peer.wire().send(up));
  auto hub_client = client_at(port(), "hub-client");
  ASSERT_TRUE(wait_value(*hub_client, "/site-c/known", 5, converge_timeout, 7));

  // A vector filling most of one frame, one entry older than the hub's copy.
  auto vec = fed_sync(federation_op::revision_vector, {"/site-c/**"}, "site-c");
  vec.revisions.emplace_back("/site-c/known", 3);
  for (int i = 0; i < 2500; ++i) vec.revisions.emplace_back("/site-c/" + std::to_string(i), 1);
  ASSERT_TRUE(codec::encode_frame(message{vec}).has_value());
  ASSERT_TRUE(peer.wire().send(vec));
  auto snap = peer.wire().recv_until<msg::snapshot>([](const msg::snapshot& s) {
    for (const auto& p : s.params)
      if (p.address == "/site-c/known") return true;
    return false;
  });
  ASSERT_TRUE(snap.has_value()) << "hub did not send the entry it holds newer";
  for (const auto& p : snap->params) {
    if (p.address == "/site-c/known") {
      EXPECT_EQ(p.revision, 7u);
    }
  }
}

TEST_F(hostile_peer, request_sync_outside_own_namespaces_is_403) {
  raw_peer peer;
  ASSERT_TRUE(peer.join_as(port(), "site-c", {"/site-c/**"}));
  for (const std::string pattern : {"/site-d/**", "/**"}) {
    ASSERT_TRUE(peer.wire().send(fed_sync(federation_op::request_sync, {pattern}, "site-c")));
    auto e = peer.next_error();
    ASSERT_TRUE(e.has_value()) << "no ERROR for RequestSync " << pattern;
    EXPECT_EQ(e->code, error_code::federation_refused) << pattern << ": " << e->message;
  }
}

TEST_F(hostile_peer, set_outside_namespaces_is_403_and_dropped_inside_is_applied) {
  auto sub = client_at(port(), "hub-sub");
  ASSERT_TRUE(subscribe_live(*sub, 1, "/**"));
  raw_peer peer;
  ASSERT_TRUE(peer.join_as(port(), "site-c", {"/site-c/**"}));

  auto bad = make_set("/nobody/x", 1);
  bad.revision = 1;
  ASSERT_TRUE(peer.wire().send(bad));
  auto e = peer.next_error();
  ASSERT_TRUE(e.has_value()) << "no ERROR for a SET outside the peer's namespaces";
  EXPECT_EQ(e->code, error_code::federation_refused) << e->message;

  auto good = make_set("/site-c/ok", 2);
  good.revision = 4;
  ASSERT_TRUE(peer.wire().send(good));
  // Everything the subscriber sees up to the good update must exclude the bad one.
  bool saw_good = false;
  while (!saw_good) {
    auto m = sub->recv(millis(5000));
    ASSERT_TRUE(m.has_value()) << "hub subscriber never received the peer's own-namespace update";
    if (m->is<msg::set>()) {
      EXPECT_NE(m->as<msg::set>().address, "/nobody/x") << "refused SET was delivered";
      if (m->as<msg::set>().address == "/site-c/ok") {
        saw_good = true;
        EXPECT_EQ(m->as<msg::set>().val, value(2));
        EXPECT_EQ(m->as<msg::set>().revision, std::optional<revision_t>(4));
      }
    }
  }
  std::uint16_t code = 0;
  EXPECT_FALSE(get_param(*sub, "/nobody/x", &code).has_value()) << "refused SET was stored";
  EXPECT_EQ(code, error_code::address_not_found);
  auto p = get_param(*sub, "/site-c/ok");
  ASSERT_TRUE(p.has_value()) << "owner's update was not stored";
  EXPECT_EQ(p->revision, 4u);
}

TEST_F(hostile_peer, overlapping_claim_is_refused_naming_the_conflict) {
  raw_peer first;
  ASSERT_TRUE(first.join_as(port(), "site-a", {"/site-a/**"}));
  raw_peer second;
  ASSERT_TRUE(second.join(port()));
  auto reply = second.declare({"/site-a/lights/**"}, "site-x");
  expect_error(reply, error_code::federation_refused, "overlapping claim");
  if (reply && reply->is<msg::error>()) {
    const auto& text = reply->as<msg::error>().message;
    EXPECT_NE(text.find("/site-a/**"), std::string::npos) << "error should name the conflict: " << text;
    EXPECT_NE(text.find("site-a"), std::string::npos) << text;
  }
  // The first owner is unaffected (it becomes Active once its sync completes).
  std::string last;
  EXPECT_TRUE(wait_peers(
      port(), [](const json& p) { return peer_active(p, "site-a", "/site-a/**"); }, millis(5000), &last))
      << last;
  auto peers = peers_of(port());
  EXPECT_TRUE(peer_entry(peers, "site-x").is_null() ||
              peer_entry(peers, "site-x").value("state", std::string{}) != "Active")
      << peers.dump();
}

TEST_F(hostile_peer, same_id_replaces_an_old_link_that_does_not_answer) {
  // The old link never reads again, so it cannot answer the hub's PING: it is
  // half-dead as far as the hub can tell, and the newcomer replaces it.
  raw_peer old_link;
  ASSERT_TRUE(old_link.join_as(port(), "site-a", {"/site-a/**"}));
  raw_peer new_link;
  ASSERT_TRUE(new_link.join(port()));
  const auto start = std::chrono::steady_clock::now();
  auto reply = new_link.declare({"/site-a/**"}, "site-a");
  const auto waited = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(reply->is<msg::ack>()) << "same router id on a new link was refused although the old "
                                        "link was silent: "
                                     << test::describe(*reply);
  std::printf("identity probe: a silent old link was replaced after %lld ms\n",
              static_cast<long long>(waited.count()));
  EXPECT_GE(waited.count(), 500) << "replaced before the probe's 750 ms were up";
  EXPECT_LT(waited.count(), 5000);
  EXPECT_TRUE(old_link.wire().is_closed()) << "the replaced link was left open";
  // The new link is the owner's path now: its updates are applied.
  auto up = make_set("/site-a/v", 3);
  up.revision = 2;
  ASSERT_TRUE(new_link.wire().send(up));
  auto c = client_at(port(), "c");
  EXPECT_TRUE(wait_value(*c, "/site-a/v", 3, converge_timeout, 2));
}

// The hub's view of `id`: "endpoint state" (the endpoint names the TCP link).
std::string link_of(std::uint16_t hub_port, const std::string& id) {
  auto entry = peer_entry(peers_of(hub_port), id);
  if (entry.is_null()) return "(absent)";
  return entry.value("endpoint", std::string{}) + " " + entry.value("state", std::string{});
}

TEST_F(hostile_peer, impostor_of_an_answering_router_is_refused_and_the_router_keeps_its_link) {
  router_process leaf(leaf_args(port(), "/site-a/**", "site-a"));
  std::string last;
  ASSERT_TRUE(wait_peers(port(), [](const json& p) { return peer_active(p, "site-a", "/site-a/**"); },
                         converge_timeout, &last))
      << last;
  const auto before = link_of(port(), "site-a");
  const auto leaf_link_before = peer_entry(peers_of(leaf.port()), "hub");

  for (int i = 0; i < 3; ++i) {
    raw_peer impostor;
    ASSERT_TRUE(impostor.join(port()));
    auto reply = impostor.declare({"/site-a/**"}, "site-a");
    expect_error(reply, error_code::federation_refused, "impostor of a live router id");
    if (reply && reply->is<msg::error>()) {
      const auto& text = reply->as<msg::error>().message;
      EXPECT_NE(text.find("router id 'site-a' is connected and answering"), std::string::npos) << text;
    }
    EXPECT_TRUE(impostor.wire().is_closed()) << "the impostor's connection was left open";
  }

  // No flapping: the real leaf's link stays the same one for a few seconds
  // (a flap would show a new endpoint or a state other than Active).
  const auto until = std::chrono::steady_clock::now() + millis(3000);
  while (std::chrono::steady_clock::now() < until) {
    const auto now = link_of(port(), "site-a");
    ASSERT_EQ(now, before) << "the real site-a's link changed after the impostor was refused";
    std::this_thread::sleep_for(millis(200));
  }
  const auto leaf_link_after = peer_entry(peers_of(leaf.port()), "hub");
  EXPECT_EQ(leaf_link_after.value("state", std::string{}), "Active") << leaf_link_after.dump();
  EXPECT_EQ(leaf_link_after.value("reconnect_attempts", -1), leaf_link_before.value("reconnect_attempts", -2))
      << leaf_link_before.dump() << " -> " << leaf_link_after.dump();
  // And it still owns its namespace: a write at the leaf reaches the hub.
  auto writer = client_at(leaf.port(), "leaf-writer");
  set_ok(*writer, "/site-a/after", 7);
  auto reader = client_at(port(), "hub-reader");
  EXPECT_TRUE(wait_value(*reader, "/site-a/after", 7, converge_timeout));
}

// Resumes a SIGSTOPped router however the test ends, so its destructor can stop it.
struct resume_on_exit {
  pid_t pid;
  ~resume_on_exit() { ::kill(pid, SIGCONT); }
};

TEST_F(hostile_peer, frozen_router_gives_way_to_a_second_instance_with_its_id) {
  router_process first(leaf_args(port(), "/site-a/**", "site-a"));
  std::string last;
  ASSERT_TRUE(wait_peers(port(), [](const json& p) { return peer_active(p, "site-a", "/site-a/**"); },
                         converge_timeout, &last))
      << last;
  const auto first_link = link_of(port(), "site-a");
  ASSERT_EQ(::kill(first.pid(), SIGSTOP), 0);
  resume_on_exit resume{first.pid()};

  // A second instance with the same id takes over promptly: the hub's PING on
  // the frozen link goes unanswered, so the newcomer replaces it.
  const auto start = std::chrono::steady_clock::now();
  router_process second(leaf_args(port(), "/site-a/**", "site-a"));
  ASSERT_TRUE(wait_peers(port(),
                         [&](const json& p) {
                           return peer_active(p, "site-a", "/site-a/**") &&
                                  link_of(port(), "site-a") != first_link;
                         },
                         converge_timeout, &last))
      << "the second site-a never replaced the frozen one: " << last;
  const auto took = std::chrono::duration_cast<millis>(std::chrono::steady_clock::now() - start);
  std::printf("identity probe: second instance Active at the hub %lld ms after its start\n",
              static_cast<long long>(took.count()));
  EXPECT_LT(took.count(), 5000);
  auto writer = client_at(second.port(), "second-writer");
  set_ok(*writer, "/site-a/owner", 2);
  auto reader = client_at(port(), "hub-reader");
  EXPECT_TRUE(wait_value(*reader, "/site-a/owner", 2, converge_timeout));

  // The first wakes up, finds its link gone and reconnects: now it is the
  // newcomer and the answering second instance keeps the id.
  ::kill(first.pid(), SIGCONT);
  EXPECT_TRUE(wait_peers(first.port(),
                         [](const json& p) {
                           auto hub = peer_entry(p, "hub");
                           if (hub.is_null()) hub = p.is_array() && p.size() == 1 ? p[0] : json();
                           return !hub.is_null() && hub.value("last_error", std::string{}).find(
                                                        "is connected and answering") != std::string::npos;
                         },
                         converge_timeout, &last))
      << "the woken first instance was not refused: " << last;
  const auto second_link = link_of(port(), "site-a");
  EXPECT_NE(second_link.find("Active"), std::string::npos) << second_link;
  set_ok(*writer, "/site-a/owner", 3);
  EXPECT_TRUE(wait_value(*reader, "/site-a/owner", 3, converge_timeout));
  EXPECT_EQ(link_of(port(), "site-a"), second_link) << "the id flapped back to the first instance";
}

TEST_F(hostile_peer, redeclaring_drops_the_old_namespaces) {
  raw_peer peer;
  ASSERT_TRUE(peer.join_as(port(), "site-c", {"/site-c/**"}));
  auto reply = peer.declare({"/site-d/**"}, "site-c");
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? test::describe(*reply) : "no reply");

  auto old_ns = make_set("/site-c/x", 1);
  old_ns.revision = 1;
  ASSERT_TRUE(peer.wire().send(old_ns));
  auto e = peer.next_error();
  ASSERT_TRUE(e.has_value()) << "SET into the dropped namespace was not refused";
  EXPECT_EQ(e->code, error_code::federation_refused) << e->message;

  auto new_ns = make_set("/site-d/x", 2);
  new_ns.revision = 1;
  ASSERT_TRUE(peer.wire().send(new_ns));
  auto c = client_at(port(), "c");
  EXPECT_TRUE(wait_value(*c, "/site-d/x", 2, converge_timeout)) << "SET into the new namespace not applied";
  std::uint16_t code = 0;
  EXPECT_FALSE(get_param(*c, "/site-c/x", &code).has_value());
  // A different router may now claim the released namespace.
  raw_peer other;
  ASSERT_TRUE(other.join(port()));
  auto claim = other.declare({"/site-c/**"}, "site-e");
  ASSERT_TRUE(claim && claim->is<msg::ack>()) << (claim ? test::describe(*claim) : "no reply");
}

class hostile_peer_token : public hostile_peer {
 protected:
  hostile_peer_token() { hub_extra_ = {"--federation-token", "secret"}; }
};

TEST_F(hostile_peer_token, wrong_token_gets_300_and_close) {
  for (const std::string token : {"wrong", ""}) {
    wire_client c;
    ASSERT_TRUE(c.connect(port())) << c.last_error();
    msg::hello h;
    h.features = test::client_features | feature::federation;
    h.name = "intruder";
    h.token = token;
    ASSERT_TRUE(c.send(h));
    auto e = c.recv_until<msg::error>([](const msg::error&) { return true; });
    ASSERT_TRUE(e.has_value()) << "no ERROR for token '" << token << "'";
    EXPECT_EQ(e->code, error_code::unauthorized) << e->message;
    EXPECT_TRUE(c.is_closed()) << "connection left open after a token refusal";
  }
}

TEST_F(hostile_peer_token, right_token_is_accepted) {
  raw_peer peer;
  ASSERT_TRUE(peer.join(port(), "secret"));
  auto reply = peer.declare({"/site-c/**"}, "site-c");
  ASSERT_TRUE(reply && reply->is<msg::ack>()) << (reply ? test::describe(*reply) : "no reply");
}

TEST(hostile_peer_token_leaf, leaf_with_right_token_goes_active_wrong_token_does_not) {
  router_process hub(hub_args("hub", {"--federation-token", "secret"}));
  router_process good(leaf_args(hub.port(), "/site-a/**", "site-a", {"--federation-token", "secret"}));
  router_process bad(leaf_args(hub.port(), "/site-b/**", "site-b",
                               {"--federation-token", "wrong", "--federation-max-reconnect-attempts", "1",
                                "--federation-reconnect-delay-ms", "100"}));
  std::string last;
  EXPECT_TRUE(wait_peers(hub.port(), [](const json& p) { return peer_active(p, "site-a"); }, converge_timeout,
                         &last))
      << last;
  EXPECT_TRUE(wait_peers(bad.port(),
                         [](const json& p) {
                           return p.is_array() && p.size() == 1 &&
                                  p[0].value("state", std::string{}) == "Failed";
                         },
                         converge_timeout, &last))
      << "leaf with a wrong token should end Failed: " << last;
  EXPECT_TRUE(peer_entry(peers_of(hub.port()), "site-b").is_null());
}

}  // namespace
}  // namespace clasp::fedtest
