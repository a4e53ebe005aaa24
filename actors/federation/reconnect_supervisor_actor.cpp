// Reconnect supervisor: link lifecycle, backoff schedule, Failed state.
#include "actors/federation/reconnect_supervisor_actor.hpp"

#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/actor_types.hpp"
#include "actors/errors.hpp"
#include "actors/federation/backoff.hpp"

namespace clasp::actors {

namespace {

struct endpoint_slot {
  std::string url;
  peer_link_actor link;
  std::uint32_t failures = 0;  // consecutive attempts that never reached Active
  bool reached_active = false;
  bool failed = false;
  // Another link to the same router (the one it opened to us) is kept: this
  // slot waits, unlisted, until that link goes down.
  bool standby = false;
  peer_status last;
};

struct supervisor_state {
  peer_link_deps deps;
  std::vector<endpoint_slot> slots;
  std::function<double()> jitter;  // a draw in [0, 1) per scheduled retry
  bool stopping = false;
  // The slots' links, shared with the cleanup that ends them with us.
  std::shared_ptr<std::vector<peer_link_actor>> current_links = std::make_shared<std::vector<peer_link_actor>>();
  static inline const char* name = "reconnect_supervisor";
};

using supervisor_self = reconnect_supervisor_actor::stateful_pointer<supervisor_state>;

void start_link(supervisor_self self, std::size_t index) {
  auto& slot = self->state.slots[index];
  slot.reached_active = false;
  auto deps = self->state.deps;
  deps.supervisor = caf::actor_cast<reconnect_supervisor_actor>(self);
  slot.link = spawn_peer_link(self->system(), deps, slot.url);
  self->monitor(slot.link);
  auto& links = *self->state.current_links;
  links.clear();
  for (const auto& s : self->state.slots)
    if (s.link) links.push_back(s.link);
}

void forward_status(supervisor_self self, endpoint_slot& slot) {
  auto p = slot.last;
  p.reconnect_attempts = slot.failures;
  p.outbound = true;
  p.endpoint = slot.url;
  p.key = slot.url;
  self->send(self->state.deps.manager, std::move(p));
}

reconnect_supervisor_actor::behavior_type supervisor_behavior(supervisor_self self,
                                                              peer_link_deps deps,
                                                              std::function<double()> jitter) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.jitter = std::move(jitter);
  if (!st.jitter)
    st.jitter = [rng = std::mt19937_64{std::random_device{}()},
                 dist = std::uniform_real_distribution<double>(0.0, 1.0)]() mutable { return dist(rng); };
  const auto& fed_cfg = st.deps.config->federation;
  const auto& endpoints = outbound_endpoints(fed_cfg);
  for (const auto& url : endpoints) st.slots.push_back({url, {}, 0, false, false, false, {}});
  for (std::size_t i = 0; i < st.slots.size(); ++i) start_link(self, i);
  // However this supervisor ends, its links end with it (a restarted
  // supervisor starts its own), so no link is left without a supervisor.
  self->attach_functor([links = st.current_links](const caf::error&) {
    for (auto& link : *links)
      if (link) caf::anon_send_exit(link, caf::exit_reason::kill);
  });
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    for (std::size_t i = 0; i < st.slots.size(); ++i) {
      auto& slot = st.slots[i];
      if (slot.link.address() != down.source) continue;
      slot.link = nullptr;
      if (st.stopping) return;
      if (is_error(down.reason, ec::redundant_link)) {
        slot.standby = true;
        spdlog::info("federation link to {}: redundant with the link {} opened to us; standing by",
                     slot.url, slot.last.router_id);
        peer_status gone = slot.last;
        gone.key = slot.url;
        gone.remove = true;
        self->send(st.deps.manager, std::move(gone));
        return;
      }
      const auto& fed = st.deps.config->federation;
      slot.failures = slot.reached_active ? 1 : slot.failures + 1;
      if (!fed.auto_reconnect ||
          (fed.max_reconnect_attempts > 0 && slot.failures > fed.max_reconnect_attempts)) {
        slot.failed = true;
        slot.last.state = federation::peer_state::failed;
        slot.failures = std::min(slot.failures - 1, fed.max_reconnect_attempts);
        spdlog::error("federation link to {} failed for good after {} reconnect attempt(s)", slot.url,
                      slot.failures);
        forward_status(self, slot);
        return;
      }
      federation::backoff_policy policy;
      policy.initial = std::chrono::milliseconds(fed.reconnect_delay_ms);
      policy.cap = std::chrono::milliseconds(fed.reconnect_max_delay_ms);
      auto delay = federation::backoff_delay(policy, slot.failures, st.jitter());
      slot.last.state = federation::peer_state::disconnected;
      forward_status(self, slot);
      spdlog::info("federation link to {}: reconnect attempt {} in {} ms", slot.url, slot.failures,
                   delay.count());
      self->delayed_send(self, delay, retry_atom_v, static_cast<std::uint64_t>(i));
      return;
    }
  });
  return {
      [=](retry_atom, std::uint64_t index) {
        if (index < self->state.slots.size() && !self->state.stopping) start_link(self, index);
      },
      [=](peer_status& p) {
        for (auto& slot : self->state.slots) {
          if (slot.url != p.key) continue;
          if (slot.standby) return;  // a late report from the link that stood down
          if (p.state == federation::peer_state::active) {
            slot.reached_active = true;
            slot.failures = 0;
          }
          slot.last = std::move(p);
          forward_status(self, slot);
          return;
        }
      },
      [=](standby_over_atom, const std::string& router_id) {
        // The link we stood down for is gone: ours takes over.
        auto& st = self->state;
        for (std::size_t i = 0; i < st.slots.size(); ++i) {
          auto& slot = st.slots[i];
          if (!slot.standby || slot.last.router_id != router_id || st.stopping) continue;
          slot.standby = false;
          slot.failures = 0;
          start_link(self, i);
        }
      },
      [=](kill_links_atom, const std::string& peer) -> std::uint32_t {
        std::uint32_t n = 0;
        for (auto& slot : self->state.slots)
          if (slot.link && (peer.empty() || slot.last.router_id == peer)) {
            self->send_exit(slot.link, make_error(ec::killed_by_admin));
            ++n;
          }
        return n;
      },
      [=](kill_links_atom) {
        for (auto& slot : self->state.slots)
          if (slot.link) self->send_exit(slot.link, caf::exit_reason::kill);
      },
      [=](reenable_atom) {
        // A Failed peer stays Failed until an operator re-enables it (or a restart).
        auto& st = self->state;
        for (std::size_t i = 0; i < st.slots.size(); ++i) {
          auto& slot = st.slots[i];
          if (!slot.failed || slot.link || st.stopping) continue;
          spdlog::info("federation link to {}: re-enabled after Failed", slot.url);
          slot.failed = false;
          slot.failures = 0;
          start_link(self, i);
        }
      },
      [=](shutdown_atom) {
        self->state.stopping = true;
        for (auto& slot : self->state.slots)
          if (slot.link) self->send_exit(slot.link, caf::exit_reason::user_shutdown);
      },
  };
}

}  // namespace

reconnect_supervisor_actor spawn_reconnect_supervisor(caf::actor_system& sys, peer_link_deps deps,
                                                      std::function<double()> jitter) {
  return sys.spawn(supervisor_behavior, std::move(deps), std::move(jitter));
}

}  // namespace clasp::actors
