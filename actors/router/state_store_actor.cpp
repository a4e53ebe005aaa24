// The state store actor: owns router_core, feeds it what arrives in its
// mailbox and drives its timers (TTL expiry, overdue forwarded writes, paced
// sync answers) with delayed messages. Sessions on the direct route reach the
// same core through the locked_store lock (see locked_store.hpp).
#include "actors/router/state_store_actor.hpp"

#include <chrono>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"
#include "actors/connection_bridge.hpp"
#include "actors/router/stats_json.hpp"
#include "actors/router/locked_store.hpp"

namespace clasp::actors {

namespace {

constexpr auto tick_interval = std::chrono::milliseconds(200);
// Up to 100 x 1,000 tombstones purged per tick (500,000 removals a second);
// one slice holds the store lock for well under a millisecond.
constexpr std::size_t purge_slice = 1000;
constexpr int max_purge_slices_per_tick = 100;

struct store_state {
  std::unique_ptr<router::router_core> core;
  std::shared_ptr<locked_store> locked;  // its lock guards `core` and `owners`
  std::unordered_map<session_id_t, frame_sink_actor>
      owners;  // link actors to tell about sync completion
  persistence_actor persistence;
  std::chrono::milliseconds persist_interval{50};
  static inline const char* name = "state_store";
};

using store_self = state_store_actor::stateful_pointer<store_state>;

// Store lock held. Paced sync answers continue shortly, once the link's queue has drained a bit.
void schedule_pump(store_self self) {
  if (self->state.locked->claim_pump()) self->delayed_send(self, locked_store::pump_interval, pump_atom_v);
}

// Store lock held.
void persist_changes(store_self self) {
  auto& st = self->state;
  if (!st.persistence) return;
  auto erased = st.core->take_erased();
  auto params = std::make_shared<std::vector<std::pair<std::string, router::param_record>>>(
      st.core->take_changed_params());
  auto watermarks = st.core->take_changed_watermarks();
  if (params->empty() && watermarks.empty() && erased.empty()) return;
  const auto& store = st.core->params();
  self->send(st.persistence,
             persist_batch{std::move(params), std::move(watermarks), std::move(erased),
                           store.tombstone_horizon(), store.revision_floor()});
}

state_store_actor::behavior_type store_behavior(store_self self, router::router_config config,
                                                std::shared_ptr<router::persisted_state> saved,
                                                persistence_actor persistence,
                                                std::chrono::milliseconds persist_interval,
                                                std::shared_ptr<locked_store> locked) {
  self->state.persist_interval = persist_interval;
  self->state.core = std::make_unique<router::router_core>(std::move(config));
  self->state.locked = locked;
  locked->open(self->state.core.get(), self);
  // However the store ends, direct reads stop touching its core first.
  self->attach_functor([locked](const caf::error&) { locked->close(); });
  if (saved)
    self->state.core->restore(std::move(saved->params), std::move(saved->watermarks),
                              saved->change_seq, saved->tombstone_horizon, saved->revision_floor);
  self->state.persistence = std::move(persistence);
  if (self->state.persistence) {
    self->state.core->track_changes(true);
    self->delayed_send(self, self->state.persist_interval, persist_atom_v);
  }
  // Runs under the store lock, on whichever thread handled the SyncComplete.
  self->state.core->on_sync_complete = [self](session_id_t link, const msg::federation_sync& m) {
    auto it = self->state.owners.find(link);
    if (it != self->state.owners.end()) caf::anon_send(it->second, sync_done{m.patterns});
  };
  self->delayed_send(self, tick_interval, tick_atom_v);
  return {
      [=](attach_session& a) {
        auto lock = self->state.locked->lock();
        if (a.owner) self->state.owners[a.id] = a.owner;
        self->state.core->attach(a.id, std::move(a.name), std::move(a.conn), a.role);
      },
      [=](detach_session d) {
        auto lock = self->state.locked->lock();
        self->state.owners.erase(d.id);
        self->state.core->detach(d.id);
      },
      [=](op_batch& b) {
        auto lock = self->state.locked->lock();
        auto& core = *self->state.core;
        // The batch was made for this store alone: its messages can be moved from.
        for (auto& op : *b.ops) {
          if (op.reply_to_sender)
            core.send_refusal(b.id, op.msg.as<msg::error>());
          else
            core.handle(b.id, std::move(op.msg), op.quality);
        }
        schedule_pump(self);
      },
      [=](direct_route& r) {
        // Everything this session sent the store before is handled by now, so
        // its reads may go straight to the core from here on. Not under the
        // store lock: the bridge takes it (after its own) for held reads.
        r.bridge->go_direct(self->state.locked, r.id, r.divert_declarations);
      },
      [=](mark_link& m) {
        auto lock = self->state.locked->lock();
        self->state.core->mark_link(m.id, std::move(m.router_id));
      },
      [=](routing_update& u) {
        auto lock = self->state.locked->lock();
        self->state.core->set_routing(std::move(u.table));
      },
      [=](const request_sync& r) {
        auto lock = self->state.locked->lock();
        self->state.core->request_sync(r.id, r.patterns, r.full);
      },
      [=](pump_atom) {
        auto lock = self->state.locked->lock();
        self->state.locked->pump_ran();
        self->state.core->pump_syncs();
        schedule_pump(self);
      },
      [=](tick_atom) {
        auto now = router::router_core::clock_now_us();
        {
          auto lock = self->state.locked->lock();
          self->state.core->expire_due(now);
          self->state.core->fail_stale_forwards(now);
        }
        // Expired tombstones go in slices, the lock released between them, so
        // the socket threads never wait for more than one slice.
        for (int slice = 0; slice < max_purge_slices_per_tick; ++slice) {
          auto lock = self->state.locked->lock();
          if (!self->state.core->purge_tombstones(now, purge_slice)) break;
        }
        self->delayed_send(self, tick_interval, tick_atom_v);
      },
      [=](persist_atom) {
        auto lock = self->state.locked->lock();
        persist_changes(self);
        self->delayed_send(self, self->state.persist_interval, persist_atom_v);
      },
      [=](shutdown_atom) -> std::uint64_t {
        auto lock = self->state.locked->lock();
        persist_changes(self);
        self->state.core->close_all(1001, "router shutting down");
        return self->state.core->session_count();
      },
      [=](stats_atom) -> std::string {
        auto lock = self->state.locked->lock();
        return router::store_stats_json(*self->state.core);
      },
  };
}

}  // namespace

state_store_actor spawn_state_store(caf::actor_system& sys, router::router_config config,
                                    std::shared_ptr<router::persisted_state> saved,
                                    persistence_actor persistence,
                                    std::chrono::milliseconds persist_interval) {
  return sys.spawn(store_behavior, std::move(config), std::move(saved), std::move(persistence),
                   persist_interval, std::make_shared<locked_store>());
}

}  // namespace clasp::actors
