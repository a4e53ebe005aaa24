// The session actor through its typed handles: HELLO attaches to the store,
// later client reads go straight to the store's core, and whatever ends the
// actor (kill, socket close) aborts its connection and detaches it from the store.
#include <gtest/gtest.h>

#include "tests/actors/actor_test_support.hpp"
#include "actors/router/session_actor.hpp"
#include "actors/router/state_store_actor.hpp"
#include "actors/actor_types.hpp"
#include "messages/codec.hpp"

namespace clasp::actors {
namespace {

using clasp::testing::actor_env;
using clasp::testing::probe;

// A connection that reports to the probe: "sent:<TYPE>", "closed", "aborted".
class probe_connection : public transport::connection {
 public:
  explicit probe_connection(std::shared_ptr<probe> p) : probe_(std::move(p)) {}

  void start(std::shared_ptr<transport::connection_handler> handler) override {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }
  void send(transport::frame_ptr frame, transport::send_class, std::string_view) override {
    codec::decoded_frame f;
    codec::decode_error err;
    probe_->add(codec::decode_frame(*frame, f, err) ? std::string("sent:") + to_string(f.msg.type())
                                                    : "sent:undecodable");
  }
  void close(std::uint16_t, std::string) override { probe_->add("closed"); }
  void abort() override { probe_->add("aborted"); }
  void set_limits(const transport::outbound_limits&) override {}
  transport::connection_stats stats() const override { return {}; }
  std::string remote_endpoint() const override { return "127.0.0.1:9"; }

  // Plays the I/O thread: one socket read carrying these messages.
  void read(const std::vector<message>& msgs) {
    transport::frame_batch batch;
    for (const auto& m : msgs) {
      auto bytes = codec::encode_frame(m);
      ASSERT_TRUE(bytes.has_value());
      batch.spans.emplace_back(static_cast<std::uint32_t>(batch.bytes.size()),
                               static_cast<std::uint32_t>(bytes->size()));
      batch.bytes += *bytes;
    }
    handler()->on_frames(std::move(batch));
  }
  std::shared_ptr<transport::connection_handler> handler() {
    std::lock_guard<std::mutex> lock(mutex_);
    return handler_;
  }

 private:
  std::shared_ptr<probe> probe_;
  std::mutex mutex_;
  std::shared_ptr<transport::connection_handler> handler_;
};

class SessionActor : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = env_.sys().spawn(clasp::testing::stub_store, events_);
    conn_ = std::make_shared<probe_connection>(events_);
    session_deps deps{store_, {}, std::make_shared<const node_config>(), {}};
    session_ = spawn_session(env_.sys(), deps, conn_);
    ASSERT_TRUE(conn_->handler()) << "the session starts reading at once";
  }
  void TearDown() override {
    caf::anon_send_exit(session_, caf::exit_reason::kill);
    caf::anon_send_exit(store_, caf::exit_reason::user_shutdown);
  }

  void hello() {
    msg::hello h;
    h.name = "test client";
    conn_->read({h});
    ASSERT_TRUE(events_->wait_for("attach:client"));
    ASSERT_TRUE(events_->wait_for("sent:WELCOME"));
  }

  actor_env env_;
  std::shared_ptr<probe> events_ = std::make_shared<probe>();
  state_store_actor store_;
  std::shared_ptr<probe_connection> conn_;
  session_actor session_;
};

TEST_F(SessionActor, HelloAttachesThenAsksTheStoreForTheDirectRoute) {
  msg::hello h;
  msg::set s;
  s.address = "/lights/1";
  s.val = value{std::int64_t{7}};
  conn_->read({h, s, s});
  ASSERT_TRUE(events_->wait_for("direct"));
  EXPECT_EQ(events_->count("attach:client"), 1u);
  EXPECT_EQ(events_->count("ops:2"), 1u) << "the rest of the HELLO read goes to the store as one batch";
  // The stub store never grants the route: later reads wait in the bridge.
  conn_->read({s});
  EXPECT_FALSE(events_->wait_for("ops:1", 1, std::chrono::milliseconds(200)));
}

// With the real store, reads after HELLO are applied on the reading thread, in
// order with what the session sent before.
TEST(SessionActorWithStore, ReadsAfterHelloReachTheCoreInOrder) {
  actor_env env;
  auto events = std::make_shared<probe>();
  auto store = spawn_state_store(env.sys(), router::router_config{}, nullptr, {});
  auto conn = std::make_shared<probe_connection>(events);
  session_deps deps{store, {}, std::make_shared<const node_config>(), {}};
  auto session = spawn_session(env.sys(), deps, conn);
  msg::hello h;
  msg::set s;
  s.address = "/lights/1";
  s.val = value{std::int64_t{1}};
  msg::set later = s;
  later.val = value{std::int64_t{2}};
  msg::get g;
  g.address = "/lights/1";
  conn->read({h, s});
  conn->read({later, g});
  ASSERT_TRUE(events->wait_for("sent:SNAPSHOT")) << "the GET is answered";
  caf::scoped_actor self{env.sys()};
  std::string stats;
  self->request(store, caf::infinite, stats_atom_v)
      .receive([&](std::string& j) { stats = j; }, [&](caf::error&) {});
  EXPECT_NE(stats.find("\"sets_applied\":2"), std::string::npos) << stats;
  caf::anon_send_exit(session, caf::exit_reason::kill);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

TEST_F(SessionActor, KillAbortsTheConnectionAndDetachesFromTheStore) {
  hello();
  caf::anon_send_exit(session_, caf::exit_reason::kill);
  EXPECT_TRUE(events_->wait_for("aborted"));
  EXPECT_TRUE(events_->wait_for("detach"));
}

TEST_F(SessionActor, KillBeforeHelloStillCleansUp) {
  caf::anon_send_exit(session_, caf::exit_reason::kill);
  EXPECT_TRUE(events_->wait_for("aborted"));
  EXPECT_TRUE(events_->wait_for("detach"));
  EXPECT_EQ(events_->count("attach:client"), 0u);
}

TEST_F(SessionActor, SocketCloseEndsTheSession) {
  hello();
  conn_->handler()->on_closed("peer went away");
  EXPECT_TRUE(events_->wait_for("detach"));
  EXPECT_TRUE(events_->wait_for("aborted"));
}

TEST_F(SessionActor, FirstMessageOtherThanHelloIsRefused) {
  msg::get g;
  g.address = "/lights/1";
  conn_->read({g});
  EXPECT_TRUE(events_->wait_for("sent:ERROR"));
  EXPECT_TRUE(events_->wait_for("closed"));
  EXPECT_EQ(events_->count("attach:client"), 0u);
}

}  // namespace
}  // namespace clasp::actors
