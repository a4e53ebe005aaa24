// Client-facing rules of the router: SET/PUBLISH/SUBSCRIBE/GET/BUNDLE/QUERY,
// revisions, locks and the fan-out of every change (encoded once, shared).
#include "actors/router/router_core.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "actors/federation/sync_limits.hpp"
#include "messages/address.hpp"

namespace clasp::router {

using federation::owner_kind;

namespace {
bool wants_reply(codec::qos q) { return q != codec::qos::fire; }

// The message type byte of an encoded frame (after the header, which carries
// 8 more bytes when the timestamp flag 0x20 is set); 0 for a truncated frame.
std::uint8_t frame_message_type(const std::string& frame) {
  if (frame.size() < 2) return 0;
  const std::size_t at = (static_cast<std::uint8_t>(frame[1]) & 0x20)
                             ? codec::header_size_with_timestamp
                             : codec::header_size;
  return at < frame.size() ? static_cast<std::uint8_t>(frame[at]) : 0;
}
}  // namespace

bool acceptable_address(const std::string& address) {
  return address.size() <= max_address_bytes && is_valid_address(address);
}

bool acceptable_pattern(const std::string& pattern) {
  return pattern.size() <= max_address_bytes && is_valid_pattern(pattern);
}

transport::frame_ptr make_frame(const message& m, codec::qos q) {
  auto out = std::make_shared<std::string>();
  codec::encode_options opts;
  opts.quality = q;
  if (!codec::encode_frame(m, opts, *out)) return nullptr;
  return out;
}

msg::set tombstone_set(const std::string& address, revision_t revision) {
  msg::set s;
  s.address = address;
  s.revision = revision;
  s.ttl = ttl_spec{true, 1};  // "expires at 1 s after the epoch": already gone
  return s;
}

bool is_tombstone_set(const msg::set& m) {
  return m.ttl && m.ttl->absolute && m.ttl->seconds == 1;
}

router_core::router_core(router_config config)
    : config_(std::move(config)), routing_(std::make_shared<federation::routing_table>()) {
  // Change sequence numbers start at the wall clock in microseconds, so a
  // router that restarted without its state still numbers every change above
  // any watermark a peer kept from its previous run.
  const std::uint64_t start = now_us();
  params_.start_sequence_at(start);
  // Incarnation floor: a new address's first revision is this run's start in
  // microseconds, so after a restart without state an owner's next write still
  // outnumbers what replicas kept (unless one address took more than one write
  // per microsecond on average). 2026 is about 1.8e15, far below 2^53 (year 2255).
  params_.raise_revision_floor(std::max<std::uint64_t>(1, start));
  incarnation_ = config_.incarnation;
  if (incarnation_ == 0) {
    std::random_device rd;
    while (incarnation_ == 0) incarnation_ = (std::uint64_t{rd()} << 32) ^ rd();
  }
  events_seen_ = event_window(incarnation_);
}

void router_core::restore(std::vector<std::pair<std::string, param_record>> params,
                          std::map<std::string, sync_mark> watermarks, change_seq_t change_seq,
                          change_seq_t tombstone_horizon, revision_t revision_floor) {
  for (auto& [address, rec] : params) params_.restore(address, std::move(rec));
  params_.start_sequence_at(change_seq);
  params_.restore_tombstone_horizon(tombstone_horizon);
  // Purged revisions of earlier runs stay unused even if this clock is behind theirs.
  params_.raise_revision_floor(revision_floor);
  sync_marks_.restore(std::move(watermarks));
}

std::vector<std::pair<std::string, param_record>> router_core::take_changed_params(
    std::size_t max_count) {
  return params_.take_changed(max_count);
}

std::map<std::string, sync_mark> router_core::take_changed_watermarks() {
  return sync_marks_.take_changed();
}

std::uint64_t router_core::clock_now_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

router_core::session_info* router_core::find(session_id_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

const router_core::session_info* router_core::find(session_id_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void router_core::attach(session_id_t id, std::string name, transport::connection_ptr conn,
                         session_role role) {
  auto& s = sessions_[id];
  s.id = id;
  s.name = std::move(name);
  s.conn = std::move(conn);
  s.role = role;
  ++counters_.sessions_attached[static_cast<std::size_t>(role)];
  // A peer follows federation rules from its first message, declared or not.
  if (role != session_role::client) s.link_router = "undeclared:" + s.name;
}

void router_core::detach(session_id_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  if (it->second.conn) {
    // Its queue's losses stay in the router's totals after it is gone.
    const auto st = it->second.conn->stats();
    closed_frames_coalesced_ += st.frames_coalesced;
    closed_frames_dropped_ += st.frames_dropped;
  }
  subs_.remove_session(id);
  pending_syncs_.erase(id);
  end_link_switch(id);  // nothing more arrives on it
  for (auto it = switches_.begin(); it != switches_.end();)
    it = it->second.kept == id ? switches_.erase(it) : std::next(it);
  params_.release_locks(it->second.name);
  fail_forwards_via(id, "link to the owner closed before it answered");
  // Writes this session was waiting for are simply dropped (nobody to tell).
  for (auto& [link, queue] : forwards_)
    for (auto& p : queue)
      if (p.writer == id) p.writer = 0;
  sessions_.erase(it);
}

bool router_core::is_client(session_id_t id) const {
  auto it = sessions_.find(id);
  return it != sessions_.end() && it->second.role == session_role::client &&
         it->second.link_router.empty();
}

per_role_counts router_core::sessions_by_role() const {
  per_role_counts n{};
  for (const auto& [id, s] : sessions_) ++n[static_cast<std::size_t>(s.role)];
  return n;
}

outbound_totals router_core::outbound() const {
  outbound_totals t;
  t.frames_coalesced = closed_frames_coalesced_;
  t.frames_dropped = closed_frames_dropped_;
  for (const auto& [id, s] : sessions_) {
    if (!s.conn) continue;
    const auto st = s.conn->stats();
    t.bytes_queued += st.bytes_queued;
    t.max_bytes_queued = std::max<std::uint64_t>(t.max_bytes_queued, st.bytes_queued);
    t.frames_coalesced += st.frames_coalesced;
    t.frames_dropped += st.frames_dropped;
  }
  return t;
}

std::vector<link_traffic> router_core::links() const {
  std::vector<link_traffic> out;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [id, s] : sessions_) {
    if (s.link_router.empty() || !s.conn) continue;
    const auto st = s.conn->stats();
    link_traffic t{s.link_router, st.frames_in, st.frames_out, -1};
    if (s.last_sync_complete != std::chrono::steady_clock::time_point{})
      t.sync_lag_s = std::chrono::duration<double>(now - s.last_sync_complete).count();
    out.push_back(std::move(t));
  }
  return out;
}

void router_core::close_all(std::uint16_t ws_code, const std::string& reason) {
  for (auto& [id, s] : sessions_)
    if (s.conn) s.conn->close(ws_code, reason);
}

void router_core::mark_link(session_id_t id, std::string router_id) {
  if (auto s = find(id)) {
    s->link_router = std::move(router_id);
    if (s->linked_us == 0) s->linked_us = now_us();
  }
}

void router_core::set_routing(federation::routing_ptr routing) {
  if (!routing) return;
  auto before = std::move(routing_);
  routing_ = std::move(routing);
  start_link_switches(before.get());
  resend_events_after_link_loss(before.get());
  // A namespace whose route left a link is no longer vouched for by the syncs
  // that link completed: when the route comes back, its state must be synced again.
  for (auto& entry : sessions_) {
    session_info& s = entry.second;  // a named reference: C++17 lambdas cannot capture bindings
    keep_requests_on_route(s);
    if (s.synced_owner_patterns.empty()) continue;
    auto& synced = s.synced_owner_patterns;
    synced.erase(std::remove_if(synced.begin(), synced.end(),
                                [&](const std::string& p) { return !leads_to_owner(s, p); }),
                 synced.end());
  }
}

void router_core::send_frame(session_info& s, const transport::frame_ptr& f,
                             transport::send_class cls, std::string_view key) {
  if (!f || !s.conn) return;
  ++counters_.messages_out[frame_message_type(*f)];
  if (s.held) {
    s.held_bytes += f->size();
    s.held_frames.push_back({f, cls, key});
    if (s.held_bytes > max_held_switch_bytes) release_held(s);  // past that, order matters less than memory
    return;
  }
  s.conn->send(f, cls, key);
}

void router_core::send_to(session_id_t id, const message& m, codec::qos q) {
  if (auto s = find(id)) send_frame(*s, make_frame(m, q));
}

void router_core::send_error(session_id_t id, std::uint16_t code, std::string text,
                             std::optional<std::string> address) {
  msg::error e;
  e.code = code;
  e.message = std::move(text);
  e.address = std::move(address);
  send_refusal(id, e);
}

void router_core::send_refusal(session_id_t id, const msg::error& e) {
  ++counters_.errors_sent;
  if (auto* s = find(id)) {
    // One line per refused message (never per accepted one), as operators expect.
    spdlog::info("session {}: refused with ERROR {}: {}", s->name, e.code, e.message);
    send_frame(*s, make_frame(e));
  }
}

void router_core::ack(session_info& s, codec::qos q, const std::string& address, revision_t rev,
                      std::optional<bool> locked, std::optional<std::string> holder) {
  if (!wants_reply(q)) return;
  msg::ack a;
  a.address = address;
  a.revision = rev;
  a.locked = locked;
  a.holder = std::move(holder);
  send_frame(s, make_frame(a));
}

void router_core::handle(session_id_t from, const message& m, codec::qos q) {
  auto* s = find(from);
  if (!s) return;
  ++counters_.messages_in[static_cast<std::uint8_t>(m.type())];
  if (auto fs = std::get_if<msg::federation_sync>(&m.body)) {
    // Limits before rights, for every op and every kind of session.
    if (auto why = federation::sync_limit_violation(*fs))
      return send_error(s->id, error_code::bad_request, *why);
  }
  dispatch(*s, m, q);
}

void router_core::dispatch(session_info& session, const message& m, codec::qos q) {
  auto* s = &session;
  if (!s->link_router.empty()) {
    // Data from a federation link follows the ownership rules.
    if (auto set = std::get_if<msg::set>(&m.body)) {
      msg::set copy = *set;
      return on_link_set(*s, copy, q);
    }
    if (auto pub = std::get_if<msg::publish>(&m.body)) return on_link_publish(*s, *pub);
    if (auto snap = std::get_if<msg::snapshot>(&m.body)) return on_link_snapshot(*s, *snap);
    if (m.is<msg::ack>() || m.is<msg::error>()) return on_link_reply(*s, m);
    // A clock SYNC with the answer's times is the reply to one we sent: never answered.
    if (auto sy = std::get_if<msg::sync>(&m.body); sy && sy->t2) return on_link_sync_reply(*s, *sy);
    if (auto fs = std::get_if<msg::federation_sync>(&m.body)) return on_link_federation_sync(*s, *fs);
  }
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, msg::set>) {
          on_set(*s, body, q);
        } else if constexpr (std::is_same_v<T, msg::publish>) {
          on_publish(*s, body, q);
        } else if constexpr (std::is_same_v<T, msg::subscribe>) {
          on_subscribe(*s, body, q);
        } else if constexpr (std::is_same_v<T, msg::unsubscribe>) {
          subs_.remove(s->id, body.id);
        } else if constexpr (std::is_same_v<T, msg::get>) {
          on_get(*s, body);
        } else if constexpr (std::is_same_v<T, msg::bundle>) {
          on_bundle(*s, body, q);
        } else if constexpr (std::is_same_v<T, msg::query>) {
          on_query(*s, body);
        } else if constexpr (std::is_same_v<T, msg::announce>) {
          on_announce(*s, body, q);
        } else if constexpr (std::is_same_v<T, msg::ping>) {
          send_frame(*s, make_frame(msg::pong{}));
        } else if constexpr (std::is_same_v<T, msg::sync>) {
          msg::sync reply;
          reply.t1 = body.t1;
          reply.t2 = now_us();
          reply.t3 = now_us();
          send_frame(*s, make_frame(reply));
        } else if constexpr (std::is_same_v<T, msg::federation_sync>) {
          send_error(s->id, error_code::federation_refused,
                     "FEDERATION_SYNC from a session that is not a federation peer "
                     "(HELLO without the federation feature)");
        } else if constexpr (std::is_same_v<T, msg::replay>) {
          send_error(s->id, error_code::unavailable, "REPLAY is not supported: this router keeps no journal");
        } else if constexpr (std::is_same_v<T, msg::hello>) {
          send_error(s->id, error_code::invalid_message, "duplicate HELLO: the session is already established");
        } else if constexpr (std::is_same_v<T, msg::pong> || std::is_same_v<T, msg::ack> ||
                             std::is_same_v<T, msg::error>) {
          // Replies from a client need no answer.
        } else {
          send_error(s->id, error_code::invalid_message,
                     std::string(to_string(m.type())) + " is a server-to-client message");
        }
      },
      m.body);
}

void router_core::handle(session_id_t from, message&& m, codec::qos q) {
  // Client SETs are the hot path: their values move into the table.
  if (auto* set = std::get_if<msg::set>(&m.body)) {
    auto* s = find(from);
    if (!s) return;
    ++counters_.messages_in[static_cast<std::uint8_t>(message_type::set)];
    if (s->link_router.empty()) return on_set(*s, std::move(*set), q);
    return on_link_set(*s, *set, q);
  }
  handle(from, static_cast<const message&>(m), q);
}

template <class Set>
void router_core::on_set(session_info& s, Set&& m, codec::qos q) {
  if (!acceptable_address(m.address)) {
    send_error(s.id, error_code::invalid_address, "invalid address '" + m.address + "'", m.address);
    return;
  }
  auto owner = routing_->owner_of(m.address);
  if (owner.kind == owner_kind::remote) {
    forward_write(s, m, q, *owner.ns);
    return;
  }
  if (owner.kind == owner_kind::none && routing_->ownership_unknown) {
    // Kept here, it could shadow the real owner's value (our revision may be higher).
    send_error(s.id, error_code::unavailable,
               "no owner known for '" + m.address +
                   "' yet: this router has not reached a federation peer since it started; retry",
               m.address);
    return;
  }
  auto out = params_.apply_local(std::forward<Set>(m), s.name, now_us(), owner.kind == owner_kind::none);
  if (out.error != 0) {
    send_error(s.id, out.error, out.error_text, m.address);
    return;
  }
  ++counters_.sets_applied;
  const param_record* rec = params_.find(m.address);
  fan_out_param(m.address, *rec, 0);
  if (m.lock || m.unlock)
  {
    const std::string& holder = params_.lock_holder(m.address);
    ack(s, q, m.address, out.revision, !holder.empty(),
        holder.empty() ? std::nullopt : std::optional<std::string>(holder));
  }
  else
    ack(s, q, m.address, out.revision);
}

void router_core::fan_out_param(const std::string& address, const param_record& rec,
                                session_id_t origin_link) {
  // Encoded once for every receiver, straight from the record.
  auto bytes = std::make_shared<std::string>();
  if (!codec::encode_set_frame(address, rec.val, rec.revision, {}, *bytes)) return;
  transport::frame_ptr frame = std::move(bytes);
  // The coalesce key views the address inside the frame, so it lives exactly as long.
  const std::string_view key(frame->data() + 8, address.size());
  const auto stamp = ++stamp_;
  subs_.for_each_match(address, type_mask::param, [&](session_id_t id) {
    auto* s = find(id);
    if (!s || s->stamp == stamp || id == origin_link) return;
    s->stamp = stamp;
    send_frame(*s, frame, transport::send_class::param, key);
  });
  // Replica updates follow the owner's tree: only links that reach the
  // owner through us take them (or asked us for them), never the one it came from.
  for (const auto& link : routing_->links) {
    if (link.id == origin_link || link.standing_down) continue;
    auto* s = find(link.id);
    if (!s || s->stamp == stamp) continue;
    if (!federation::routing_table::replicates(link, address) && !sync_requested(*s, address)) continue;
    s->stamp = stamp;
    send_frame(*s, frame, transport::send_class::param, key);
  }
}

void router_core::fan_out_tombstone(const std::string& address, const param_record& rec,
                                    session_id_t origin_link) {
  auto frame = make_frame(tombstone_set(address, rec.revision));
  for (const auto& link : routing_->links) {
    if (link.id == origin_link || link.standing_down) continue;
    auto* s = find(link.id);
    if (s && (federation::routing_table::replicates(link, address) || sync_requested(*s, address)))
      send_frame(*s, frame);
  }
}

void router_core::fan_out_publish(const msg::publish& m, session_id_t origin_link,
                                  const event_id& id) {
  // Each encoded at most once: as a client sent it, and with its id for our routers.
  transport::frame_ptr plain, numbered;
  auto frame = [&](bool with_id) -> const transport::frame_ptr& {
    auto& f = with_id ? numbered : plain;
    if (!f) {
      auto bytes = std::make_shared<std::string>();
      const auto event = with_id ? std::optional<event_id>(id) : std::nullopt;
      if (codec::encode_publish_frame(m, event, {}, *bytes)) f = std::move(bytes);
    }
    return f;
  };
  const auto stamp = ++stamp_;
  const auto cls = publish_class(m.signal);
  subs_.for_each_match(m.address, mask_bit(m.signal), [&](session_id_t sid) {
    auto* s = find(sid);
    if (!s || s->stamp == stamp || sid == origin_link) return;
    s->stamp = stamp;
    if (const auto& f = frame(false)) send_frame(*s, f, cls);
  });
  // A link whose connection is gone, before the routing says so, loses the
  // event: it is remembered for the resend all the same.
  bool missed = false;
  for (const auto& link : routing_->links) {
    if (link.id == origin_link || link.provisional ||
        !federation::routing_table::interested(link, m.address))
      continue;
    auto* s = find(link.id);
    if (!s) missed = missed || link.event_ids;
    if (!s || s->stamp == stamp) continue;
    s->stamp = stamp;
    if (const auto& f = frame(link.event_ids)) send_frame(*s, f, cls);
  }
  if (missed) frame(true);
  if (numbered) remember_sent_event(numbered, origin_link);
}

void router_core::on_publish(session_info& s, const msg::publish& m, codec::qos q) {
  if (!acceptable_address(m.address)) {
    send_error(s.id, error_code::invalid_address, "invalid address '" + m.address + "'", m.address);
    return;
  }
  ++counters_.publishes;
  fan_out_publish(m, 0, next_event_id());
  if (wants_reply(q)) {
    msg::ack a;
    a.address = m.address;
    send_frame(s, make_frame(a));
  }
}

void router_core::on_subscribe(session_info& s, const msg::subscribe& m, codec::qos q) {
  if (!acceptable_pattern(m.pattern)) {
    msg::error e;
    e.code = error_code::pattern_error;
    e.message = "invalid pattern '" + m.pattern + "'";
    e.address = m.pattern;
    e.correlation_id = m.id;
    send_refusal(s.id, e);
    return;
  }
  if (subs_.count(s.id) >= config_.max_subscriptions && !subs_.has(s.id, m.id)) {
    msg::error e;
    e.code = error_code::too_many_subscriptions;
    e.message = "too many subscriptions: limit is " + std::to_string(config_.max_subscriptions) +
                " per session";
    e.address = m.pattern;
    e.correlation_id = m.id;
    send_refusal(s.id, e);
    return;
  }
  subs_.add({s.id, m.id, m.pattern, m.types});
  transport::frame_ptr ack_frame;
  if (wants_reply(q)) {
    msg::ack a;
    a.address = m.pattern;
    a.correlation_id = m.id;
    ack_frame = make_frame(a);
  }
  if (!(m.types & type_mask::param)) {
    send_frame(s, ack_frame);
    return;
  }
  // The current values go out paced like a sync answer (a big table must not
  // overflow the subscriber's queue), then the ACK.
  paced_job job;
  job.what = paced_job::kind::subscription;
  job.link = s.id;
  job.patterns = {m.pattern};
  job.trailer = std::move(ack_frame);
  start_job(std::move(job));
}

void router_core::on_get(session_info& s, const msg::get& m) {
  if (!acceptable_address(m.address)) {
    send_error(s.id, error_code::invalid_address, "invalid address '" + m.address + "'", m.address);
    return;
  }
  const param_record* rec = params_.find_live(m.address);
  if (!rec) {
    send_error(s.id, error_code::address_not_found, "no param at '" + m.address + "'", m.address);
    return;
  }
  msg::snapshot snap;
  snap.params.push_back({m.address, rec->val, rec->revision, std::nullopt, std::nullopt});
  send_frame(s, make_frame(snap));
}

void router_core::on_bundle(session_info& s, const msg::bundle& m, codec::qos q) {
  // All or nothing: check every inner SET against the state as the earlier
  // ones in the bundle would leave it, then apply them in order.
  std::map<std::string, revision_t> expected;  // revision each address would have
  for (const auto& inner : m.messages) {
    if (auto set = std::get_if<msg::set>(&inner.body)) {
      if (!acceptable_address(set->address)) {
        send_error(s.id, error_code::invalid_address,
                   "bundle refused: invalid address '" + set->address + "'", set->address);
        return;
      }
      if (routing_->owner_of(set->address).kind == owner_kind::remote) {
        send_error(s.id, error_code::bad_request,
                   "bundle refused: '" + set->address +
                       "' is owned by another router; a bundle must stay within one router",
                   set->address);
        return;
      }
      if (routing_->ownership_unknown && routing_->owner_of(set->address).kind == owner_kind::none) {
        send_error(s.id, error_code::unavailable,
                   "bundle refused: no owner known for '" + set->address +
                       "' yet: this router has not reached a federation peer since it started",
                   set->address);
        return;
      }
      auto it = expected.find(set->address);
      if (it == expected.end()) {
        auto out = params_.check_local(*set, s.name);
        if (out.error != 0) {
          send_error(s.id, out.error, "bundle refused: " + out.error_text, set->address);
          return;
        }
        // Revisions continue past a tombstone, so predict from any record.
        expected[set->address] = params_.next_revision(set->address);
      } else {
        if (set->revision && *set->revision != it->second) {
          send_error(s.id, error_code::bad_request,
                     "bundle refused: revision conflict on '" + set->address + "'", set->address);
          return;
        }
        it->second += 1;
      }
    } else if (auto pub = std::get_if<msg::publish>(&inner.body)) {
      if (!acceptable_address(pub->address)) {
        send_error(s.id, error_code::invalid_address,
                   "bundle refused: invalid address '" + pub->address + "'", pub->address);
        return;
      }
    } else if (inner.is<msg::bundle>() || inner.is<msg::hello>() || inner.is<msg::federation_sync>()) {
      send_error(s.id, error_code::bad_request,
                 std::string("bundle refused: ") + to_string(inner.type()) + " cannot be bundled");
      return;
    }
  }
  // Inner messages inherit fire QoS so a bundle yields one ACK, not one per SET.
  for (const auto& inner : m.messages) dispatch(s, inner, codec::qos::fire);
  if (wants_reply(q)) send_frame(s, make_frame(msg::ack{}));
}

void router_core::on_query(session_info& s, const msg::query& m) {
  if (!acceptable_pattern(m.pattern)) {
    send_error(s.id, error_code::pattern_error, "invalid pattern '" + m.pattern + "'", m.pattern);
    return;
  }
  // RESULT parts go out paced, like a snapshot (router_core_paced.cpp).
  paced_job job;
  job.what = paced_job::kind::query;
  job.link = s.id;
  job.patterns = {m.pattern};
  start_job(std::move(job));
}

void router_core::on_announce(session_info& s, const msg::announce& m, codec::qos q) {
  for (const auto& def : m.signals) {
    if (!acceptable_address(def.address)) {
      send_error(s.id, error_code::invalid_address, "invalid address '" + def.address + "'", def.address);
      return;
    }
  }
  for (const auto& def : m.signals) announced_[def.address] = def;
  if (wants_reply(q)) send_frame(s, make_frame(msg::ack{}));
}

bool router_core::purge_tombstones(std::uint64_t now, std::size_t max_count) {
  if (now < config_.tombstone_retention_us) return false;
  return params_.purge_tombstones(now - config_.tombstone_retention_us, max_count);
}

bool router_core::expire_due(std::uint64_t now, std::size_t max_slots, std::size_t max_removals) {
  // Slots past the count at the sweep's start hold records made since: the
  // next sweep sees them, and this one ends however many are inserted.
  if (expiry_next_slot_ == 0) expiry_end_slot_ = params_.slot_count();
  const std::size_t slots = std::min(std::max<std::size_t>(max_slots, 1),
                                     expiry_end_slot_ - std::min(expiry_next_slot_, expiry_end_slot_));
  std::vector<std::string> due;
  expiry_next_slot_ =
      params_.due_expiries(now, expiry_next_slot_, slots, std::max<std::size_t>(max_removals, 1), due);
  for (const auto& address : due) {
    if (!params_.remove(address, now)) continue;
    fan_out_tombstone(address, *params_.find(address), 0);
  }
  if (expiry_next_slot_ < expiry_end_slot_) return true;
  expiry_next_slot_ = 0;
  return false;
}

}  // namespace clasp::router
