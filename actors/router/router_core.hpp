// Everything one router decides about state: applying writes, fan-out to
// subscribers and federation links, forwarding writes to their owner, and
// answering sync requests. Plain C++ so it can be tested without actors; the
// state_store actor owns the single instance and feeds it messages in order.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/federation/revision_tracker.hpp"
#include "actors/federation/routing_table.hpp"
#include "actors/router/event_window.hpp"
#include "actors/router/param_store.hpp"
#include "actors/router/subscription_table.hpp"
#include "actors/router/value_histogram.hpp"
#include "messages/codec.hpp"
#include "transport/connection.hpp"

namespace clasp::router {

// What a session is to this router: a client, a federation peer that connected
// to us, or our own link to an upstream router (hub).
enum class session_role { client, inbound_peer, upstream };
constexpr std::size_t session_role_count = 3;  // for arrays indexed by role
// Counted per role, by role as index.
using per_role_counts = std::array<std::uint64_t, session_role_count>;

struct router_config {
  std::string router_id;
  std::string server_name = "clasp-federation";
  std::size_t max_subscriptions = 1000;
  std::uint64_t write_forward_timeout_us = 5000000;  // owner must answer a forwarded write within this
  // Removals are remembered this long (so a peer away for less still learns
  // them in an incremental sync), then purged.
  std::uint64_t tombstone_retention_us = 86400ull * 1000000;
  // This run's id in sync watermarks (0 = pick a random one). Unit tests fix it.
  std::uint64_t incarnation = 0;
};

// Indexed by the CLASP message type byte (messages/messages.hpp, message_type).
using message_type_counts = std::array<std::uint64_t, 256>;

// Plain integers: only the thread holding the store lock touches the core, and
// /metrics reads them through the store's `stats` request.
struct router_counters {
  std::uint64_t sets_applied = 0;
  std::uint64_t sets_forwarded = 0;
  std::uint64_t publishes = 0;
  std::uint64_t duplicate_events = 0;  // copies of an event already delivered (event_window)
  std::uint64_t events_resent = 0;     // sent again after a link closed (router_core_event_resend.cpp)
  std::uint64_t errors_sent = 0;
  std::uint64_t remote_applied = 0;
  std::uint64_t remote_stale = 0;  // replica updates ignored because not newer
  std::uint64_t sync_marks_sent = 0;
  std::uint64_t sync_marks_applied = 0;  // received marks that moved a watermark
  // Messages handed to the core (inner BUNDLE messages not again), and frames
  // the core queued to a connection (once per receiver).
  message_type_counts messages_in{};
  message_type_counts messages_out{};
  per_role_counts sessions_attached{};
  std::uint64_t sync_answer_bytes = 0;  // frames of completed sync answers
  // From a sync request to its SyncComplete (paced answers take several pumps).
  value_histogram sync_answer_seconds{{0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60}};
};

// The attached connections' outbound queues, summed when asked.
struct outbound_totals {
  std::uint64_t bytes_queued = 0;      // over every connection
  std::uint64_t max_bytes_queued = 0;  // the fullest connection
  // Including connections that have closed since the router started.
  std::uint64_t frames_coalesced = 0;
  std::uint64_t frames_dropped = 0;
};

// One federation link's traffic, for GET /status, /federation/peers and /metrics.
struct link_traffic {
  std::string router_id;         // as the link declared it ("undeclared:<name>" before that)
  std::uint64_t frames_in = 0;   // WebSocket messages read since the link connected
  std::uint64_t frames_out = 0;  // WebSocket messages written since the link connected
  // Seconds since the last sync we asked of this link completed (its
  // SyncComplete arrived); negative while none has.
  double sync_lag_s = -1;
};

class router_core {
 public:
  explicit router_core(router_config config);

  // Session lifecycle. `name` is the session id the client saw in WELCOME.
  void attach(session_id_t id, std::string name, transport::connection_ptr conn,
              session_role role = session_role::client);
  void detach(session_id_t id);
  // Marks a session as a federation link to `router_id`.
  void mark_link(session_id_t id, std::string router_id);

  void set_routing(federation::routing_ptr routing);
  const federation::routing_table& routing() const { return *routing_; }

  // Operations handled while `now_us` is pinned carry that time instead of
  // reading the clock each (one socket read's frames arrived together, and the
  // clock read is a visible share of the hot path). 0 unpins.
  void pin_clock(std::uint64_t now_us) { pinned_now_us_ = now_us; }
  static std::uint64_t clock_now_us();  // wall clock, microseconds

  // A client (or link) operation, in arrival order. qos is the frame's QoS.
  void handle(session_id_t from, const message& m, codec::qos q);
  // Same, allowed to take values out of `m` (the store owns its batches).
  void handle(session_id_t from, message&& m, codec::qos q);

  // Sends RequestSync(patterns, since = what we last synced from that router,
  // or 0 with `full`) on a link.
  void request_sync(session_id_t link, const std::vector<std::string>& patterns, bool full = false);

  // Answers a sync request: everything under `patterns` changed after `since`,
  // as SNAPSHOT parts plus tombstones, then SyncComplete carrying our current seq.
  // Large answers are paced: parts go out while the link's outbound queue is
  // short, the rest on later pump_syncs() calls, so a million params neither
  // overflow the queue nor stall the link's other traffic.
  // `their_incarnation` is the incarnation the requester's watermark came
  // from (if it said): another one than ours, a watermark beyond our seq, or
  // one from before purged tombstones gets everything. Flagged "complete" when
  // the watermark is this run's (so we hold everything we ever told it, minus
  // what we removed), and the requester also drops what we no longer have.
  void send_sync(session_id_t link, const std::vector<std::string>& patterns, change_seq_t since,
                 std::optional<std::uint64_t> their_incarnation = std::nullopt);
  // Sends more of every pending paced answer (sync answers, subscription
  // snapshots, revision-vector answers, QUERY results): one bounded slice each
  // (see router_core_paced.cpp); true while some remain.
  bool pump_syncs();
  // Same for one answer only (the next in turn), so a caller can release its
  // lock between answers; true while some remain.
  bool pump_one_sync();
  bool has_pending_syncs() const { return !jobs_.empty(); }
  std::size_t pending_syncs() const { return jobs_.size(); }

  // Timers.
  // TTL expiry in bounded slices: each call goes on with one sweep of the
  // table where the last call stopped, examines at most `max_slots` records
  // and removes at most `max_removals` due ones (a tombstone each, fanned
  // out). True while the sweep has more to walk: the caller releases its lock
  // and calls again. The call after a sweep ended starts the next sweep, so a
  // param is removed within one sweep after its TTL passed.
  static constexpr std::size_t expiry_slice_slots = 4096;
  static constexpr std::size_t expiry_slice_removals = 256;
  bool expire_due(std::uint64_t now_us, std::size_t max_slots = expiry_slice_slots,
                  std::size_t max_removals = expiry_slice_removals);
  void fail_stale_forwards(std::uint64_t now_us);
  // Releases link switches whose old link never answered (see link_switch).
  void end_stale_link_switches(std::uint64_t now_us);
  // Tells each of our routers that asked us for a sync how far our change
  // sequence has reached it live (router_core_sync_marks.cpp), at most once
  // per sync_mark_interval_us per link and only when something changed.
  static constexpr std::uint64_t sync_mark_interval_us = 500'000;
  void send_sync_marks(std::uint64_t now_us);
  // Stops sending a link of ours what it asked a sync for once it has routed
  // to that owner another way for off_route_grace_us (router_core_sync_scope.cpp).
  static constexpr std::uint64_t off_route_grace_us = 2'000'000;
  // Events sent to our routers within this long (at most resend_max_events of
  // them, resend_max_bytes in all) go out again on the routes that replace a
  // link that closed: some may have died with it. Copies that had got through
  // are dropped by id.
  static constexpr std::uint64_t resend_window_us = 1'000'000;
  static constexpr std::size_t resend_max_events = 4096;
  static constexpr std::size_t resend_max_bytes = 4 << 20;
  void end_off_route_syncs(std::uint64_t now_us);
  // Purges up to `max_count` tombstones older than the retention; true while
  // more are due (the caller releases its lock between slices).
  bool purge_tombstones(std::uint64_t now_us, std::size_t max_count);

  // Called when a link reports SyncComplete (for its PeerState machine).
  std::function<void(session_id_t, const msg::federation_sync&)> on_sync_complete;

  // Sends one message to one session (used by session actors for replies that
  // must keep their order with store replies).
  void send_to(session_id_t id, const message& m, codec::qos q = codec::qos::fire);
  void send_error(session_id_t id, std::uint16_t code, std::string text,
                  std::optional<std::string> address = std::nullopt);
  // Sends an ERROR the router composed, counted and logged as a refusal.
  void send_refusal(session_id_t id, const msg::error& e);

  // Closes every session's connection with a close frame (router shutdown).
  void close_all(std::uint16_t ws_code, const std::string& reason);

  // Persistence: load what a previous run saved; report what changed since the
  // last call (params with their current record, and sync watermarks).
  void restore(std::vector<std::pair<std::string, param_record>> params,
               std::map<std::string, sync_mark> watermarks, change_seq_t change_seq,
               change_seq_t tombstone_horizon, revision_t revision_floor = 0);
  void track_changes(bool on) { params_.track_changes(on); sync_marks_.track_changes(on); }
  // At most `max_count` params, oldest change first (one call holds the store
  // lock for a bounded time; the rest waits for the next call).
  std::vector<std::pair<std::string, param_record>> take_changed_params(
      std::size_t max_count = SIZE_MAX);
  std::size_t changed_param_count() const { return params_.changed_count(); }
  std::map<std::string, sync_mark> take_changed_watermarks();
  // Addresses dropped from the table (purged tombstones, forgotten replicas); take before the
  // params.
  std::vector<std::string> take_erased() { return params_.take_erased(); }

  const param_store& params() const { return params_; }
  std::uint64_t incarnation() const { return incarnation_; }
  const router_counters& counters() const { return counters_; }
  std::size_t session_count() const { return sessions_.size(); }
  // An attached local client, not a federation link (persistence holds back
  // clients' writes while its backlog is full, never a link's).
  bool is_client(session_id_t id) const;
  // Attached sessions by session_role (index = role). Walks the sessions: for stats only.
  per_role_counts sessions_by_role() const;
  outbound_totals outbound() const;  // walks the sessions: for stats only
  std::vector<link_traffic> links() const;  // walks the sessions: for stats only
  std::size_t subscription_count() const { return subs_.total(); }
  std::map<std::string, sync_mark> watermarks() const { return sync_marks_.watermarks(); }

 private:
  struct held_frame {
    transport::frame_ptr frame;
    transport::send_class cls;
    std::string_view key;  // views into `frame`
  };
  struct session_info {
    session_id_t id = 0;
    std::string name;
    transport::connection_ptr conn;
    std::string link_router;  // non-empty: this session is a federation link
    std::uint64_t linked_us = 0;  // when it first became one (events before it are not resent on it)
    session_role role = session_role::client;
    std::uint64_t stamp = 0;  // de-duplicates fan-out to one delivery per message
    // Patterns this link asked us to sync: it gets their later changes too,
    // even before our routing snapshot says it replicates them (see sync_requested),
    // and for a while after its route to their owner moved elsewhere
    // (`off_route_since`: when it stopped leading to them through us).
    std::vector<std::string> synced_to;
    std::map<std::string, std::uint64_t> off_route_since;
    // When the last SyncComplete answering one of our requests arrived (epoch: none yet).
    std::chrono::steady_clock::time_point last_sync_complete{};
    // Namespaces whose sync from this link completed while the link led to
    // their owner (dropped when their route moves away): per namespace, because
    // a link that completed a sync of one owner's namespace may have just become
    // the route to another's, whose state is still on its way.
    std::vector<std::string> synced_owner_patterns;
    // Frames held back while this link takes over from one to the same router
    // that stands down (see link_switch); sent in order once it is released.
    bool held = false;
    std::vector<held_frame> held_frames;
    std::size_t held_bytes = 0;
    // Sync marks (router_core_sync_marks.cpp). As the requester: the patterns
    // we asked this link for that it still leads to, and whether an update it sent was not taken
    // (its marks then move no watermark until it reconnects). As the answerer:
    // our seq in the last mark sent on it, and when the next may go.
    std::vector<std::string> requested_here;
    bool missed_update = false;
    change_seq_t marked_seq = 0;
    std::uint64_t next_mark_us = 0;
  };
  // A redundant link to a router stands down and the kept one takes over its
  // traffic. What we sent on the old link may still be on its way, so the new
  // one holds its frames until the router answered a clock SYNC sent on the
  // old link after our last frame there: it has applied everything before,
  // and nothing we send on the new link can overtake it (an older revision
  // arriving after a newer one would be dropped, and its subscribers would
  // never see it). Ends at the answer, when either link goes, or at the deadline.
  static constexpr std::size_t max_held_switch_bytes = 8 << 20;
  static constexpr std::uint64_t link_switch_timeout_us = 500'000;
  struct link_switch {
    session_id_t kept = 0;
    std::uint64_t token = 0;  // the SYNC's t1
    std::uint64_t deadline_us = 0;
  };
  struct pending_forward {
    std::string address;
    session_id_t writer = 0;
    bool wants_ack = false;
    std::uint64_t deadline_us = 0;
  };
  struct signal_info {
    signal_definition def;
  };
  // A paced answer being sent. Its records are found by walking the table in
  // slices (param_store::visit_slots) between which the store lock is
  // released, so its cost never sits under the lock in one piece. Each record
  // goes out as it is when the walk reaches it: a record may be newer than at
  // the request (receivers keep the highest revision), never older.
  struct paced_job {
    enum class kind { sync_answer, subscription, revision_vector, query, drop_missing };
    kind what = kind::sync_answer;
    session_id_t link = 0;              // the session it goes to
    std::vector<std::string> patterns;  // as asked (SyncComplete echoes them)
    std::vector<std::string> exact;     // patterns without wildcards: looked up, sorted
    std::vector<std::string> wildcard;  // patterns with wildcards: matched while walking the slots
    std::size_t next_exact = 0;
    std::size_t next_slot = 0;
    // Where the walk ends: the slot count at the request. Later slots hold
    // records made since (sent live anyway), and a walk that chased them
    // would never end under a steady stream of new addresses.
    std::size_t end_slot = 0;
    change_seq_t since = 0;             // sync answers: only records changed after this
    revision_t newer_than = 0;          // sync answers to another implementation: only newer revisions
    change_seq_t complete_at = 0;       // sync answers: our seq at the request
    // A subscription snapshot: no tombstones, no SyncComplete; `trailer` (the
    // SUBSCRIBE's ACK, if asked for) goes out after the last part.
    transport::frame_ptr trailer;
    // A revision-vector answer: the entries still to compare.
    std::vector<std::pair<std::string, revision_t>> vector;
    std::size_t next_entry = 0;
    // A QUERY: announced signals first (resumed after `announced_after`), then the params.
    bool announced_done = false;
    std::optional<std::string> announced_after;
    msg::result result_part;
    std::size_t result_bytes = 3;
    // Dropping what a complete answer on `link` did not contain: entries not
    // changed since `since` (our seq at the request) and not confirmed.
    std::unordered_set<std::string> confirmed;
    std::vector<param_entry> part;  // SNAPSHOT entries not sent yet
    std::size_t part_bytes = 3;
    bool sent_snapshot = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::uint64_t bytes_sent = 0;
    bool complete = false;  // a full answer from a router sure to hold everything (see send_sync)
  };
  // Our RequestSyncs on one link still waiting for their SyncComplete: what a
  // complete answer did not contain is what the owner no longer has.
  struct pending_sync {
    int outstanding = 0;
    change_seq_t mark = 0;                      // our seq when the first of them went out
    std::unordered_set<std::string> confirmed;  // answered entries we already held (not re-applied)
    // One of them asks for everything: only a full answer may be complete and
    // drop what it lacks, so only then are `confirmed` entries worth noting
    // (an anti-entropy answer can hold a million we already have).
    bool full = false;
  };
  void note_confirmed(session_id_t link, const std::string& address);
  // Removes (as tombstones) replica entries under `patterns` owned behind
  // `link` that a complete answer did not contain (a paced job: it walks the table).
  void drop_missing_after_full_sync(session_info& link, const std::vector<std::string>& patterns);
  bool leads_to_owner(const session_info& link, const std::string& address) const;
  // True if a full answer for `patterns` may say "complete" (the requester then
  // drops what it lacks): we own them, or a sync of each one's namespace has
  // completed on our current link towards its owner.
  bool holds_everything_under(const std::vector<std::string>& patterns) const;
  // Notes the patterns of a SyncComplete on `link` that it leads to the owner of.
  void note_synced_from_owner_side(session_info& link, const std::vector<std::string>& patterns);
  // Drops from `requested_here` what the link no longer leads to (router_core_sync_scope.cpp).
  void keep_requests_on_route(session_info& link);
  // True if `link` asked us for a sync covering `address`, is not our route to
  // its owner and does not lead to its owner's router at all (a second link to
  // it): a change we take after answering must reach it, also
  // while the routing update that makes it a replica is still on its way
  // (otherwise that change would wait for anti-entropy).
  bool sync_requested(const session_info& link, const std::string& address) const;
  // Paced answers (router_core_paced.cpp). Queues `job` and sends its first slice at once.
  void start_job(paced_job job);
  // Sends one slice of `job`; false when it is finished (or its session went away).
  bool pump_job(paced_job& job);
  bool pump_records(session_info& s, paced_job& job);
  bool pump_vector(session_info& s, paced_job& job);
  bool pump_query(session_info& s, paced_job& job);
  bool pump_drop_missing(session_info& link, paced_job& job);
  void finish_sync_answer(session_info& s, paced_job& job);
  // True when an earlier QUERY of the same session is still being answered
  // (RESULT frames carry no id: one session's results go out in order).
  bool waits_for_earlier_query(std::size_t index) const;

  // handle() without counting the message as received (inner BUNDLE messages).
  void dispatch(session_info& s, const message& m, codec::qos q);

  // Client operations.
  template <class Set>
  void on_set(session_info& s, Set&& m, codec::qos q);
  void on_publish(session_info& s, const msg::publish& m, codec::qos q);
  void on_subscribe(session_info& s, const msg::subscribe& m, codec::qos q);
  void on_get(session_info& s, const msg::get& m);
  void on_bundle(session_info& s, const msg::bundle& m, codec::qos q);
  void on_query(session_info& s, const msg::query& m);
  void on_announce(session_info& s, const msg::announce& m, codec::qos q);

  // Federation link operations (router_core_federation.cpp).
  // May take the value out of `m`.
  void on_link_set(session_info& link, msg::set& m, codec::qos q);
  // A SET with a revision from the owner's side: applied if newer (its value
  // moved into the table), then fanned out to everyone but `link`. Returns the
  // revision now held.
  // `from_owner`: the update comes from the address's known, remote owner.
  revision_t apply_replica_set(session_info& link, msg::set& m, std::uint64_t now,
                               bool from_owner = false);
  void on_link_publish(session_info& link, const msg::publish& m);
  void on_link_snapshot(session_info& link, const msg::snapshot& m);
  void on_link_reply(session_info& link, const message& m);
  void on_link_federation_sync(session_info& link, const msg::federation_sync& m);
  void on_revision_vector(session_info& link, const msg::federation_sync& m);
  void on_link_sync_mark(session_info& link, const msg::federation_sync& m);
  // True while a sync answer to `link` is still being sent.
  bool answering_sync(session_id_t link) const;
  void forward_write(session_info& writer, const msg::set& m, codec::qos q,
                     const federation::remote_namespace& ns);
  void fail_forwards_via(session_id_t link, const std::string& why);
  // Link switches (router_core_link_switch.cpp).
  void start_link_switches(const federation::routing_table* before);
  void on_link_sync_reply(session_info& link, const msg::sync& reply);
  void end_link_switch(session_id_t standing_down);
  void release_held(session_info& s);
  // True for a link to one of our own routers (it speaks route advertisements).
  bool link_is_ours(const session_info& link) const;

  // Fan-out of an applied change. `origin_link` is excluded (never sent back).
  void fan_out_param(const std::string& address, const param_record& rec, session_id_t origin_link);
  void fan_out_tombstone(const std::string& address, const param_record& rec, session_id_t origin_link);
  // `id` goes with the event to links that read event ids; clients and other
  // routers get the PUBLISH without it.
  void fan_out_publish(const msg::publish& m, session_id_t origin_link, const event_id& id);
  // Streams and gestures may be dropped for a slow reader; other events not.
  static transport::send_class publish_class(signal_type s) {
    return s == signal_type::stream || s == signal_type::gesture ? transport::send_class::stream
                                                                 : transport::send_class::control;
  }
  // The id of an event this router is the first of ours to take in.
  event_id next_event_id() { return {incarnation_, ++event_seq_}; }
  // Events resent after a link closed (router_core_event_resend.cpp).
  void remember_sent_event(const transport::frame_ptr& numbered, session_id_t origin_link);
  void resend_events_after_link_loss(const federation::routing_table* before);

  void send_frame(session_info& s, const transport::frame_ptr& f,
                  transport::send_class cls = transport::send_class::control,
                  std::string_view key = {});
  void ack(session_info& s, codec::qos q, const std::string& address, revision_t rev,
           std::optional<bool> locked = std::nullopt, std::optional<std::string> holder = std::nullopt);
  session_info* find(session_id_t id);
  const session_info* find(session_id_t id) const;
  std::uint64_t now_us() const { return pinned_now_us_ ? pinned_now_us_ : clock_now_us(); }

  router_config config_;
  param_store params_;
  subscription_table subs_;
  std::unordered_map<session_id_t, session_info> sessions_;
  federation::routing_ptr routing_;
  std::unordered_map<session_id_t, std::deque<pending_forward>> forwards_;  // by link
  federation::revision_tracker sync_marks_;  // router id -> its seq we last synced to
  std::map<std::string, signal_definition> announced_;
  std::vector<paced_job> jobs_;
  std::size_t next_job_ = 0;  // pump_one_sync's turn
  std::unordered_map<session_id_t, pending_sync> pending_syncs_;
  std::unordered_map<session_id_t, link_switch> switches_;  // by the link standing down
  std::uint64_t next_switch_token_ = 0;
  std::uint64_t incarnation_ = 0;
  event_window events_seen_{0};  // federated events let through (made with incarnation_)
  std::uint64_t event_seq_ = 0;
  struct sent_event {
    std::uint64_t at_us = 0;
    transport::frame_ptr frame;  // with its id
    session_id_t origin_link = 0;
  };
  std::deque<sent_event> recent_events_;  // the newest sent to our routers, see resend_window_us
  std::size_t recent_event_bytes_ = 0;
  std::uint64_t stamp_ = 0;
  router_counters counters_;
  std::uint64_t closed_frames_coalesced_ = 0;  // by connections no longer attached
  std::uint64_t closed_frames_dropped_ = 0;
  std::uint64_t pinned_now_us_ = 0;  // see pin_clock
  // The TTL expiry sweep in progress (see expire_due): the next slot to
  // examine, and the slot count when the sweep began (where it ends).
  std::size_t expiry_next_slot_ = 0;
  std::size_t expiry_end_slot_ = 0;
};

// Router-level limits on top of the syntax rules: long patterns make matching
// and coverage checks expensive, and nothing legitimate needs them.
constexpr std::size_t max_address_bytes = 1024;
bool acceptable_address(const std::string& address);
bool acceptable_pattern(const std::string& pattern);

// Encodes one message as a shared frame (never over the payload limit for the
// messages the router builds itself; oversized ones become nullptr).
transport::frame_ptr make_frame(const message& m, codec::qos q = codec::qos::fire);

// A SET that means "removed at revision N" between our routers: an absolute TTL
// already in the past. Replicas treat it as a tombstone.
msg::set tombstone_set(const std::string& address, revision_t revision);
bool is_tombstone_set(const msg::set& m);

}  // namespace clasp::router
