// Helpers for unit tests that run real actors: an actor system with our message
// types, a probe that tests wait on (bounded, no sleeps), and stub actors that
// implement a typed interface and record what they are sent.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"

namespace clasp::testing {

// One actor system per test, configured like the router's.
class actor_env {
 public:
  actor_env() : sys_(configure(cfg_)) {}
  caf::actor_system& sys() { return sys_; }

 private:
  static caf::actor_system_config& configure(caf::actor_system_config& c) {
    c.add_message_types<caf::id_block::clasp_actors>();
    c.set("logger.console", caf::atom("none"));
    c.set("scheduler.max-threads", 2);
    return c;
  }
  caf::actor_system_config cfg_;
  caf::actor_system sys_;
};

// A log of events from actor threads; tests wait for a condition on it.
class probe {
 public:
  void add(std::string event) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(std::move(event));
    }
    cv_.notify_all();
  }
  std::size_t count(const std::string& event) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += e == event ? 1 : 0;
    return n;
  }
  // Waits (bounded) until `event` has been seen at least `n` times.
  bool wait_for(const std::string& event, std::size_t n = 1,
                std::chrono::milliseconds limit = std::chrono::seconds(5)) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, limit, [&] {
      std::size_t seen = 0;
      for (const auto& e : events_) seen += e == event ? 1 : 0;
      return seen >= n;
    });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<std::string> events_;
};

// A state store that only records: "attach:client|peer", "detach", "ops:<n>",
// "direct", "mark:<router>", "routing", "sync". It never grants the direct route,
// so reads after a session's first batch wait in its bridge.
inline actors::state_store_actor::behavior_type stub_store(std::shared_ptr<probe> p) {
  using namespace actors;
  return {
      [=](attach_session& a) {
        p->add(std::string("attach:") +
               (a.role == router::session_role::client ? "client" : "peer"));
      },
      [=](detach_session) { p->add("detach"); },
      [=](const op_batch& b) { p->add("ops:" + std::to_string(b.ops->size())); },
      [=](direct_route&) { p->add("direct"); },
      [=](mark_link& m) { p->add("mark:" + m.router_id); },
      [=](routing_update&) { p->add("routing"); },
      [=](const request_sync&) { p->add("sync"); },
      [=](tick_atom) {},
      [=](persist_atom) {},
      [=](pump_atom) {},
      [=](shutdown_atom) -> std::uint64_t { return 0; },
      [=](stats_atom) -> std::string { return "{}"; },
  };
}

// An inbound peer link that records "redeclare:<tag>:<pattern count>" and
// "probe:<tag>", answering identity probes as a live peer.
inline actors::peer_link_actor::behavior_type stub_peer_link(std::shared_ptr<probe> p, std::string tag) {
  using namespace actors;
  return {
      [=](frames_in&) {},
      [=](connection_closed&) {},
      [=](sync_done&) {},
      [=](link_connected&) {},
      [=](link_connect_failed&) {},
      [=](link_routes& r) {
        if (r.declaration)
          p->add("redeclare:" + tag + ":" + std::to_string(r.declaration->size()));
      },
      [=](heartbeat_atom) {},
      [=](declare_fallback_atom) {},
      [=](liveness_probe_atom) {
        p->add("probe:" + tag);
        return true;
      },
      [=](probe_check_atom) {},
      [=](stand_down_atom, bool on) { p->add(std::string(on ? "stand-down:" : "stand-up:") + tag); },
      [=](stand_down_over_atom, std::uint64_t) {},
  };
}

}  // namespace clasp::testing
