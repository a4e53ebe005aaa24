// The state store actor: owns router_core, feeds it what arrives in its
// mailbox and drives its timers (TTL expiry, overdue forwarded writes, paced
// sync answers) with delayed messages. Sessions on the direct route reach the
// same core through the locked_store lock (see locked_store.hpp).
#include "actors/router/state_store_actor.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

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
// The TTL expiry sweep: up to 100 slices of router_core::expiry_slice_slots
// records per tick (~400,000), so a sweep of a 1,000,000-param table spans
// three ticks and a param goes within about 0.6 s of its TTL.
constexpr int max_expiry_slices_per_tick = 100;
// Changed params copied for persistence per hold of the store lock: a copy
// is a record with its value (~100 ns to a few µs), so a slice stays well
// under a millisecond however many params changed since the last batch.
constexpr std::size_t persist_slice = 2000;
// Two: one being committed, one ready behind it, so the persistence thread
// never waits on the store, and a slow disk costs at most two slices of copies.
constexpr int max_batches_in_flight = 2;

struct store_state {
  std::unique_ptr<router::router_core> core;
  std::shared_ptr<locked_store> locked;  // its lock guards `core` and `owners`
  std::unordered_map<session_id_t, frame_sink_actor>
      owners;  // link actors to tell about sync completion
  persistence_actor persistence;
  std::chrono::milliseconds persist_interval{50};
  int batches_in_flight = 0;  // sent to persistence, not answered yet
  bool persist_backlog = false;  // changes left behind for lack of room in flight
  std::map<std::string, router::sync_mark> held_watermarks;  // wait for the params before them
  std::size_t params_before_watermarks = 0;  // change entries to send before held_watermarks
  static inline const char* name = "state_store";
};

using store_self = state_store_actor::stateful_pointer<store_state>;

// Runs slice(core) under the store lock while it returns true (more to do), at
// most `max_slices` times, the lock released between slices with waiting
// socket threads let in first: they never wait for more than one slice.
template <class Slice>
void run_in_slices(locked_store& locked, int max_slices, Slice slice) {
  for (int n = 0; n < max_slices; ++n) {
    if (n > 0) locked.yield_to_waiters();
    if (!locked.run(slice)) break;
  }
}

// Store lock held. Paced answers continue shortly, once the queues have drained a bit.
void schedule_pump(store_self self) {
  if (self->state.locked->claim_pump()) self->delayed_send(self, locked_store::pump_interval, pump_atom_v);
}

// Sends what changed to the persistence actor in batches of at most
// persist_slice params, the store lock released between them, with at most
// max_batches_in_flight uncommitted (`flush` ignores that bound: shutdown).
// Changes the persistence actor has not caught up with stay in the store as
// one entry per address, not as copies queued in its mailbox, and a param
// written again meanwhile is copied once. Watermarks go with the batch holding
// the last param changed before they were taken (a crash between batches must
// not leave a saved watermark whose params were never saved).
void persist_changes(store_self self, bool flush = false);

// A batch is committed (or failed: its rows stay staged in the persistence
// actor and no longer count here). The next one goes at once if changes wait,
// and the clients held back for the backlog go on if it has room again.
void on_batch_answered(store_self self) {
  auto& st = self->state;
  --st.batches_in_flight;
  std::vector<std::weak_ptr<session_bridge>> resumable;
  st.locked->run([&](router::router_core&) {
    st.locked->admission().batch_answered(std::chrono::steady_clock::now());
  });
  if (st.persist_backlog) persist_changes(self);
  st.locked->run([&](router::router_core& core) {
    resumable = st.locked->admission().take_resumable(core.changed_param_count());
  });
  // Not under the store lock: a bridge takes its own lock first, then the store's.
  for (auto& waiter : resumable)
    if (auto bridge = waiter.lock()) bridge->resume_writes();
}

void persist_changes(store_self self, bool flush) {
  auto& st = self->state;
  if (!st.persistence) return;
  st.persist_backlog = false;
  for (;;) {
    if (!flush && st.batches_in_flight >= max_batches_in_flight) {
      st.persist_backlog = true;  // resumed when a batch is committed
      return;
    }
    bool sent = false;
    st.locked->run([&](router::router_core& core) {
      if (st.held_watermarks.empty()) {
        st.held_watermarks = core.take_changed_watermarks();
        st.params_before_watermarks = core.changed_param_count();
      }
      // Erased rows go before any param taken after them (an address dropped
      // and written again appears in both, and the write must win).
      auto erased = core.take_erased();
      const std::size_t take = std::min(core.changed_param_count(), persist_slice);
      auto params = std::make_shared<std::vector<std::pair<std::string, router::param_record>>>(
          core.take_changed_params(take));
      st.params_before_watermarks -= std::min(st.params_before_watermarks, take);
      std::map<std::string, router::sync_mark> watermarks;
      if (st.params_before_watermarks == 0) watermarks.swap(st.held_watermarks);
      if (params->empty() && erased.empty() && watermarks.empty()) return;
      const auto& store = core.params();
      st.locked->admission().batch_sent(params->size(), std::chrono::steady_clock::now());
      persist_batch batch{std::move(params), std::move(watermarks), std::move(erased),
                          store.tombstone_horizon(), store.revision_floor()};
      ++st.batches_in_flight;
      // High priority: ahead of the persistence actor's own steps applying its log.
      self->request<caf::message_priority::high>(st.persistence, caf::infinite, std::move(batch))
          .then([self](bool) { on_batch_answered(self); },
                // Persistence gone (shutdown): nothing left to wait for.
                [self](const caf::error&) { on_batch_answered(self); });
      sent = true;
    });
    if (!sent) return;
    st.locked->yield_to_waiters();
  }
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
    locked->run([&](router::router_core&) { locked->admission().enable(); });
    self->delayed_send(self, self->state.persist_interval, persist_atom_v);
  }
  // Runs under the store lock, on whichever thread handled the SyncComplete.
  self->state.core->on_sync_complete = [self](session_id_t link, const msg::federation_sync& m) {
    auto it = self->state.owners.find(link);
    if (it != self->state.owners.end()) caf::anon_send(it->second, sync_done{m.patterns});
  };
  self->delayed_send(self, tick_interval, tick_atom_v);
  auto& st = self->state;
  return {
      [=, &st](attach_session& a) {
        st.locked->run([&](router::router_core& core) {
          if (a.owner) st.owners[a.id] = a.owner;
          core.attach(a.id, std::move(a.name), std::move(a.conn), a.role);
        });
      },
      [=, &st](detach_session d) {
        st.locked->run([&](router::router_core& core) {
          st.owners.erase(d.id);
          core.detach(d.id);
        });
      },
      [=, &st](op_batch& b) {
        st.locked->run([&](router::router_core& core) {
          // The batch was made for this store alone: its messages can be moved from.
          for (auto& op : *b.ops) {
            if (op.reply_to_sender)
              core.send_refusal(b.id, op.msg.as<msg::error>());
            else
              core.handle(b.id, std::move(op.msg), op.quality);
          }
          schedule_pump(self);
        });
      },
      [=, &st](direct_route& r) {
        // Everything this session sent the store before is handled by now, so
        // its reads may go straight to the core from here on. Not under the
        // store lock: the bridge takes it (after its own) for held reads.
        r.bridge->go_direct(st.locked, r.id, r.divert_declarations);
      },
      [=, &st](mark_link& m) {
        st.locked->run([&](router::router_core& core) { core.mark_link(m.id, std::move(m.router_id)); });
      },
      [=, &st](routing_update& u) {
        st.locked->run([&](router::router_core& core) { core.set_routing(std::move(u.table)); });
      },
      [=, &st](const request_sync& r) {
        st.locked->run([&](router::router_core& core) {
          core.request_sync(r.id, r.patterns, r.full);
          schedule_pump(self);
        });
      },
      [=, &st](pump_atom) {
        // One slice of each pending answer, the lock released between them.
        const std::size_t jobs = st.locked->run([&](router::router_core& core) {
          st.locked->pump_ran();
          return core.pending_syncs();
        });
        for (std::size_t i = 0; i < jobs; ++i) {
          if (i > 0) st.locked->yield_to_waiters();
          if (!st.locked->run([](router::router_core& core) { return core.pump_one_sync(); })) break;
        }
        st.locked->run([&](router::router_core&) { schedule_pump(self); });
      },
      [=, &st](tick_atom) {
        auto now = router::router_core::clock_now_us();
        st.locked->run([&](router::router_core& core) {
          core.fail_stale_forwards(now);
          core.end_stale_link_switches(now);
          core.send_sync_marks(now);
          core.end_off_route_syncs(now);
        });
        // Both walk a share of the table: in slices. A sweep the cap cuts
        // short goes on at the next tick.
        run_in_slices(*st.locked, max_expiry_slices_per_tick,
                      [now](router::router_core& core) { return core.expire_due(now); });
        run_in_slices(*st.locked, max_purge_slices_per_tick,
                      [now](router::router_core& core) { return core.purge_tombstones(now, purge_slice); });
        self->delayed_send(self, tick_interval, tick_atom_v);
      },
      [=](persist_atom) {
        persist_changes(self);
        self->delayed_send(self, self->state.persist_interval, persist_atom_v);
      },
      [=, &st](shutdown_atom) -> std::uint64_t {
        persist_changes(self, true);
        return st.locked->run([&](router::router_core& core) {
          core.close_all(1001, "router shutting down");
          return core.session_count();
        });
      },
      [=, &st](stats_atom) -> std::string {
        return st.locked->run([&](router::router_core& core) {
          if (!st.locked->admission().enabled()) return router::store_stats_json(core);
          // Backpressure from persistence (GET /stats): how far the disk may lag, and whether it held writes back.
          auto j = nlohmann::json::parse(router::store_stats_json(core));
          const auto& adm = st.locked->admission();
          j["persistence_backlog"] = {{"changed", core.changed_param_count()},
                                      {"in_flight", adm.in_flight_rows()},
                                      {"limit", adm.limit()},
                                      {"seconds_per_row", adm.seconds_per_row()},
                                      {"writes_held_back", adm.refusals()},
                                      {"sessions_held", adm.parked()}};
          return j.dump();
        });
      },
  };
}

}  // namespace

state_store_actor spawn_state_store(caf::actor_system& sys, router::router_config config,
                                    std::shared_ptr<router::persisted_state> saved,
                                    persistence_actor persistence,
                                    std::chrono::milliseconds persist_interval) {
  // Detached: its own thread, at the I/O threads' priority, since it takes the
  // store lock they wait for (see locked_store.hpp, "Priority").
  return sys.spawn<caf::detached>(store_behavior, std::move(config), std::move(saved),
                                  std::move(persistence), persist_interval,
                                  std::make_shared<locked_store>());
}

}  // namespace clasp::actors
