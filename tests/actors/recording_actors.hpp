// Stand-ins for the actors around the one under test, for virtual-time tests
// (everything runs on the test thread, so the logs need no locks): a store,
// a supervisor and a link end that record what they are sent, a connection
// the test reads into, and a connector the test completes by hand.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"
#include "messages/codec.hpp"
#include "transport/connector.hpp"
#include "tests/actors/fake_connection.hpp"

namespace clasp::testing {

// What the stub store was sent.
struct store_log {
  std::vector<std::string> events;  // "attach:<role>", "detach:<id>", "mark:<router>", "direct", "ops:<n>"
  std::vector<actors::request_sync> syncs;
  std::vector<federation::routing_ptr> routings;
  federation::routing_ptr routing() const { return routings.empty() ? nullptr : routings.back(); }
  std::size_t count(const std::string& event) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e == event ? 1 : 0;
    return n;
  }
};

inline caf::behavior recording_store(std::shared_ptr<store_log> log) {
  using namespace actors;
  return {
      [=](attach_session& a) {
        log->events.push_back(a.role == router::session_role::client ? "attach:client"
                              : a.role == router::session_role::upstream ? "attach:upstream"
                                                                          : "attach:inbound");
      },
      [=](detach_session& d) { log->events.push_back("detach:" + std::to_string(d.id)); },
      [=](op_batch& b) { log->events.push_back("ops:" + std::to_string(b.ops->size())); },
      [=](direct_route&) { log->events.push_back("direct"); },
      [=](mark_link& m) { log->events.push_back("mark:" + m.router_id); },
      [=](routing_update& r) { log->routings.push_back(r.table); },
      [=](request_sync& r) { log->syncs.push_back(std::move(r)); },
  };
}

inline actors::state_store_actor spawn_recording_store(caf::actor_system& sys,
                                                       std::shared_ptr<store_log> log) {
  return caf::actor_cast<actors::state_store_actor>(sys.spawn(recording_store, std::move(log)));
}

// Whatever stands at either end of a link's messages (a session, a peer link,
// the supervisor, the manager): everything of theirs it is sent, in order.
struct peer_log {
  std::vector<actors::peer_status> statuses;
  std::vector<actors::link_routes> routes;
  std::vector<actors::upstream_declared> declared;
  std::vector<actors::declare_request> declare_requests;
  std::vector<actors::link_ready> ready;
  std::vector<actors::link_closed> closed;
  std::size_t sync_done = 0;
  std::vector<bool> stand_downs;  // stand_down(on) messages, in order
  bool answer_declarations = true;  // false: upstream_declared and declare_request go unanswered
  actors::declare_reply declare_answer;  // what a declare_request is answered (default: accepted)

  std::vector<federation::peer_state> states() const {
    std::vector<federation::peer_state> out;
    for (const auto& s : statuses) out.push_back(s.state);
    return out;
  }
  federation::peer_state last_state() const { return statuses.back().state; }
};

inline caf::behavior recording_peer(caf::event_based_actor* self, std::shared_ptr<peer_log> log) {
  using namespace actors;
  return {
      [=](peer_status& p) { log->statuses.push_back(std::move(p)); },
      [=](link_routes& r) { log->routes.push_back(std::move(r)); },
      [=](sync_done&) { ++log->sync_done; },
      [=](link_closed& c) { log->closed.push_back(c); },
      [=](link_ready& r) { log->ready.push_back(r); },
      [=](stand_down_atom, bool on) { log->stand_downs.push_back(on); },
      [=](upstream_declared& u) -> caf::result<bool> {
        log->declared.push_back(u);
        if (log->answer_declarations) return true;
        return self->make_response_promise<bool>();  // never delivered
      },
      [=](declare_request& d) -> caf::result<declare_reply> {
        log->declare_requests.push_back(d);
        if (log->answer_declarations) return log->declare_answer;
        return self->make_response_promise<declare_reply>();  // never delivered
      },
  };
}

template <class Handle>
Handle spawn_recording_peer(caf::actor_system& sys, std::shared_ptr<peer_log> log) {
  return caf::actor_cast<Handle>(sys.spawn(recording_peer, std::move(log)));
}

// A connection whose far end is the test: it reads messages into the link
// and closes from the peer's side, and records what the link sent.
class scripted_connection : public fake_connection {
 public:
  void start(std::shared_ptr<transport::connection_handler> handler) override {
    handler_ = std::move(handler);
  }

  // One socket read carrying `msgs`, delivered as the I/O thread would.
  void read(const std::vector<message>& msgs) {
    transport::frame_batch batch;
    for (const auto& m : msgs) {
      auto bytes = codec::encode_frame(m);
      ASSERT_TRUE(bytes.has_value());
      batch.spans.emplace_back(static_cast<std::uint32_t>(batch.bytes.size()),
                               static_cast<std::uint32_t>(bytes->size()));
      batch.bytes += *bytes;
    }
    ASSERT_TRUE(handler_) << "the link never started reading";
    handler_->on_frames(std::move(batch));
  }
  void close_from_peer(std::string reason) { handler_->on_closed(std::move(reason)); }
  bool reading() const { return handler_ != nullptr; }

 private:
  std::shared_ptr<transport::connection_handler> handler_;
};

// A connector the test completes: every attempt waits until the test says
// whether it connected.
struct scripted_connector {
  struct attempt {
    std::string url;
    transport::connect_handler done;
  };
  std::vector<attempt> attempts;

  std::function<void(const std::string&, const transport::connect_options&, transport::connect_handler)>
  function() {
    return [this](const std::string& url, const transport::connect_options&,
                  transport::connect_handler done) { attempts.push_back({url, std::move(done)}); };
  }
  void connect(std::size_t i, transport::connection_ptr conn) { attempts.at(i).done({}, std::move(conn)); }
  void refuse(std::size_t i, std::string why) { attempts.at(i).done(std::move(why), nullptr); }
};

// Messages as a peer router would send them.
inline message welcome_from(std::string session) {
  msg::welcome w;
  w.version = 1;
  w.session = std::move(session);
  w.name = "hub";
  return w;
}

inline message declaration_from(std::string origin, std::vector<std::string> patterns) {
  msg::federation_sync d;
  d.op = federation_op::declare_namespaces;
  d.origin = std::move(origin);
  d.patterns = std::move(patterns);
  return d;
}

inline message error_with(std::uint16_t code, std::string text) {
  msg::error e;
  e.code = code;
  e.message = std::move(text);
  return e;
}

}  // namespace clasp::testing
