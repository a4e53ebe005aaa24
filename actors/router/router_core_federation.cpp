// Federation rules of the router: what a SET from a link means (owner update,
// write request, or refusal), forwarding writes to their owner and relaying the
// answer, and answering sync requests with only what changed.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "actors/federation/namespace_registry.hpp"
#include "actors/router/router_core.hpp"
#include "actors/router/sync_fields.hpp"
#include "messages/address.hpp"
#include "messages/detail/encoded_sizes.hpp"

namespace clasp::router {

using federation::owner_kind;

using sync_fields::complete_key;
using sync_fields::incarnation_key;
constexpr auto sync_field = sync_fields::get;

bool router_core::leads_to_owner(const session_info& link, const std::string& address) const {
  auto owner = routing_->owner_of(address);
  return (owner.kind == owner_kind::remote && owner.ns->via == link.id) ||
         (owner.kind == owner_kind::none && link.role == session_role::upstream);
}

bool router_core::sync_requested(const session_info& link, const std::string& address) const {
  for (const auto& p : link.synced_to)
    if (pattern_matches(p, address)) {
      if (leads_to_owner(link, address)) return false;
      // Never the owner's own updates back to it, on whichever link to it: it
      // would take them for write requests and number them again (a loop).
      auto owner = routing_->owner_of(address);
      return !(owner.kind == owner_kind::remote && owner.ns->owner == link.link_router);
    }
  return false;
}

bool router_core::holds_everything_under(const std::vector<std::string>& patterns) const {
  for (const auto& pattern : patterns) {
    auto owner = routing_->owner_of(pattern);
    if (owner.kind == owner_kind::self) continue;
    if (owner.kind != owner_kind::remote || owner.ns->via == 0) return false;
    // A relay holds everything only once a sync of that namespace completed on
    // the link it has now towards the owner (a relay that just restarted, or
    // whose route to this owner just moved, may hold nothing of it yet).
    const auto* towards_owner = find(owner.ns->via);
    if (!towards_owner) return false;
    const auto& synced = towards_owner->synced_owner_patterns;
    if (std::none_of(synced.begin(), synced.end(),
                     [&](const std::string& done) { return covered_by(pattern, done); }))
      return false;
  }
  return true;
}

void router_core::note_synced_from_owner_side(session_info& link,
                                              const std::vector<std::string>& patterns) {
  auto& synced = link.synced_owner_patterns;
  for (const auto& p : patterns) {
    if (!acceptable_pattern(p) || !leads_to_owner(link, p)) continue;
    if (std::find(synced.begin(), synced.end(), p) == synced.end()) synced.push_back(p);
  }
}

void router_core::note_confirmed(session_id_t link, const std::string& address) {
  if (pending_syncs_.empty()) return;
  auto it = pending_syncs_.find(link);
  if (it != pending_syncs_.end() && it->second.full) it->second.confirmed.insert(address);
}

revision_t router_core::apply_replica_set(session_info& link, msg::set& m, std::uint64_t now,
                                          bool from_owner) {
  const bool tomb = is_tombstone_set(m);
  const param_record* rec = params_.apply_remote(m.address, std::move(m.val), *m.revision,
                                                 link.link_router, tomb, now, from_owner);
  if (!rec) {
    ++counters_.remote_stale;  // not newer than what we hold: duplicates and reordering are harmless
    note_confirmed(link.id, m.address);
    const param_record* held = params_.find(m.address);
    return held ? held->revision : *m.revision;
  }
  ++counters_.remote_applied;
  if (tomb)
    fan_out_tombstone(m.address, *rec, link.id);
  else
    fan_out_param(m.address, *rec, link.id);
  return rec->revision;
}

void router_core::on_link_set(session_info& link, msg::set& m, codec::qos q) {
  if (!acceptable_address(m.address)) {
    if (m.revision) link.missed_update = true;
    send_error(link.id, error_code::invalid_address, "invalid address '" + m.address + "'", m.address);
    return;
  }
  auto owner = routing_->owner_of(m.address);
  const auto now = now_us();
  if (owner.kind == owner_kind::remote && owner.ns->via == link.id) {
    // An update coming from the owner's side: a replica update.
    if (m.revision) {
      ack(link, q, m.address, apply_replica_set(link, m, now, true));
      return;
    }
    if (link_is_ours(link)) {
      // Our routers always number their updates: this is a write request whose
      // route to the owner points back where it came from (routes are moving).
      // Keeping it would make us a second numberer of the owner's address.
      send_error(link.id, error_code::unavailable,
                 "route to the owner of '" + m.address + "' is changing; retry", m.address);
      return;
    }
    // An owner's update without a revision (another implementation's hub did
    // not number it), so we do.
    msg::set plain = m;
    plain.lock = plain.unlock = false;
    auto out = params_.apply_local(plain, link.link_router, now);
    if (out.error != 0) {
      send_error(link.id, out.error, out.error_text, m.address);
      return;
    }
    fan_out_param(m.address, *params_.find(m.address), link.id);
    ack(link, q, m.address, out.revision);
    return;
  }
  if (owner.kind == owner_kind::remote && m.revision && q == codec::qos::fire && link_is_ours(link)) {
    // A replica update from one of our routers that came by another path than
    // our route to the owner (routes are changing): the revision decides, so
    // it is applied at most once and never mistaken for a write request.
    apply_replica_set(link, m, now, true);
    return;
  }
  if (owner.kind == owner_kind::self && is_tombstone_set(m) && m.revision) {
    // Our own removal coming back from a replica's memory (we restarted without
    // state): keep it unless we wrote the address since.
    const param_record* mine = params_.find(m.address);
    if (!(mine && mine->written_here)) {
      param_entry entry{m.address, value{}, *m.revision, link.link_router, std::nullopt};
      // Fanned out like any change of ours (our sync marks say every change went out).
      if (params_.apply_remote(entry, true, now)) fan_out_tombstone(m.address, *params_.find(m.address), link.id);
    }
    return;
  }
  if (owner.kind == owner_kind::self) {
    // A write request routed to us, the owner: apply it like a local write.
    auto out = params_.apply_local(m, link.link_router, now);
    if (out.error != 0) {
      send_error(link.id, out.error, out.error_text, m.address);
      return;
    }
    ++counters_.sets_applied;
    fan_out_param(m.address, *params_.find(m.address), 0);
    ack(link, q, m.address, out.revision);
    return;
  }
  if (owner.kind == owner_kind::remote) {
    // A write request in transit towards another router's namespace.
    forward_write(link, m, q, *owner.ns);
    return;
  }
  if (link.role == session_role::upstream && m.revision && !link_is_ours(link)) {
    // Another implementation's hub speaks for every namespace we do not own,
    // declared or not (hubs that never declare theirs still get their updates applied).
    apply_replica_set(link, m, now);
    return;
  }
  if (m.revision) link.missed_update = true;  // an update we did not take (see sync marks)
  send_error(link.id, error_code::federation_refused,
             "SET from federation peer '" + link.link_router + "' to '" + m.address +
                 "' is outside its declared namespaces and no connected peer owns it",
             m.address);
}

void router_core::forward_write(session_info& writer, const msg::set& m, codec::qos q,
                                const federation::remote_namespace& ns) {
  session_info* link = ns.via != 0 ? find(ns.via) : nullptr;
  if (!link || link->id == writer.id) {
    send_error(writer.id, error_code::unavailable,
               "owner of namespace '" + ns.pattern + "' (reached through router '" + ns.owner +
                   "') is unreachable: write to '" + m.address +
                   "' refused rather than applied locally, which would diverge",
               m.address);
    return;
  }
  ++counters_.sets_forwarded;
  // Confirm QoS so the owner answers with ACK or ERROR, which we relay.
  send_frame(*link, make_frame(m, codec::qos::confirm));
  forwards_[link->id].push_back(
      {m.address, writer.id, q != codec::qos::fire, now_us() + config_.write_forward_timeout_us});
}

void router_core::on_link_reply(session_info& link, const message& m) {
  std::optional<std::string> address;
  if (auto a = std::get_if<msg::ack>(&m.body)) address = a->address;
  if (auto e = std::get_if<msg::error>(&m.body)) address = e->address;
  auto it = forwards_.find(link.id);
  if (!address || it == forwards_.end()) return;
  auto& queue = it->second;
  for (auto p = queue.begin(); p != queue.end(); ++p) {
    if (p->address != *address) continue;
    auto pending = *p;
    queue.erase(p);
    auto* writer = pending.writer ? find(pending.writer) : nullptr;
    if (!writer) return;
    if (auto e = std::get_if<msg::error>(&m.body)) {
      msg::error relay = *e;
      relay.correlation_id.reset();
      ++counters_.errors_sent;
      send_frame(*writer, make_frame(relay));
    } else if (pending.wants_ack) {
      msg::ack relay = m.as<msg::ack>();
      relay.correlation_id.reset();
      send_frame(*writer, make_frame(relay));
    }
    return;
  }
}

void router_core::fail_forwards_via(session_id_t link, const std::string& why) {
  auto it = forwards_.find(link);
  if (it == forwards_.end()) return;
  auto queue = std::move(it->second);
  forwards_.erase(it);
  for (const auto& p : queue)
    if (p.writer)
      send_error(p.writer, error_code::unavailable, "write to '" + p.address + "' not confirmed: " + why,
                 p.address);
}

void router_core::fail_stale_forwards(std::uint64_t now) {
  for (auto& [link, queue] : forwards_) {
    while (!queue.empty() && queue.front().deadline_us <= now) {
      auto p = queue.front();
      queue.pop_front();
      if (p.writer)
        send_error(p.writer, error_code::timeout,
                   "owner did not confirm the write to '" + p.address + "' in time", p.address);
    }
  }
}

void router_core::on_link_publish(session_info& link, const msg::publish& m) {
  if (!acceptable_address(m.address)) {
    send_error(link.id, error_code::invalid_address, "invalid address '" + m.address + "'", m.address);
    return;
  }
  // Only our routers number events (only they were told we read the numbers),
  // also on a link whose declaration our routing does not show yet. An event
  // without an id gets ours, so copies of it further on are caught.
  event_id id;
  if (m.event) {
    if (!events_seen_.first_sight(*m.event)) {
      ++counters_.duplicate_events;
      return;
    }
    id = *m.event;
  } else {
    id = next_event_id();
  }
  ++counters_.publishes;
  fan_out_publish(m, link.id, id);
}

void router_core::on_link_snapshot(session_info& link, const msg::snapshot& m) {
  const auto now = now_us();
  for (const auto& p : m.params) {
    if (!acceptable_address(p.address)) {
      link.missed_update = true;
      continue;
    }
    auto owner = routing_->owner_of(p.address);
    // Accept state for namespaces the link leads to, and our own state coming
    // back from a replica (we restarted and lost it).
    bool from_owner_side =
        (owner.kind == owner_kind::remote && (owner.ns->via == link.id || link_is_ours(link))) ||
        (owner.kind == owner_kind::none && link.role == session_role::upstream && !link_is_ours(link));
    if (!from_owner_side && owner.kind != owner_kind::self) {
      link.missed_update = true;  // not ours to take from this link now (see sync marks)
      continue;
    }
    if (owner.kind == owner_kind::self) {
      const param_record* mine = params_.find(p.address);
      // An equal revision with an equal value is a replica in step with us.
      if (mine && mine->written_here &&
          (p.revision > mine->revision || (p.revision == mine->revision && !(p.val == mine->val)))) {
        // We restarted without our state and already took new writes: ours
        // win and are renumbered above what the replica kept.
        params_.renumber_above(p.address, p.revision, now);
        fan_out_param(p.address, *params_.find(p.address), 0);
        continue;
      }
    }
    const bool from_owner = owner.kind == owner_kind::remote;
    if (const param_record* held = params_.find(p.address);
        held && p.revision <= held->revision && !(from_owner && held->written_unowned)) {
      // What we hold already (most of an anti-entropy answer): no copy made.
      ++counters_.remote_stale;
      note_confirmed(link.id, p.address);
      continue;
    }
    param_entry entry = p;
    if (!entry.writer) entry.writer = link.link_router;
    if (params_.apply_remote(entry, false, now, from_owner)) {
      ++counters_.remote_applied;
      fan_out_param(p.address, *params_.find(p.address), link.id);
    } else {
      ++counters_.remote_stale;
      note_confirmed(link.id, p.address);
    }
  }
}

void router_core::on_link_federation_sync(session_info& link, const msg::federation_sync& m) {
  const auto* view = routing_->link(link.id);
  switch (m.op) {
    case federation_op::request_sync: {
      if (!view) {
        send_error(link.id, error_code::federation_refused,
                   "RequestSync before DeclareNamespaces was accepted");
        return;
      }
      for (const auto& p : m.patterns) {
        if (!acceptable_pattern(p) || !federation::routing_table::covers(*view, p)) {
          send_error(link.id, error_code::federation_refused,
                     "RequestSync for '" + p + "' refused: not covered by the peer's namespaces", p);
          return;
        }
      }
      for (const auto& p : m.patterns)
        if (std::find(link.synced_to.begin(), link.synced_to.end(), p) == link.synced_to.end())
          link.synced_to.push_back(p);
      send_sync(link.id, m.patterns, m.since_revision.value_or(0), sync_field(m, incarnation_key));
      return;
    }
    case federation_op::sync_complete: {
      link.last_sync_complete = std::chrono::steady_clock::now();
      note_synced_from_owner_side(link, m.patterns);
      if (m.since_revision)
        sync_marks_.record_sync(link.link_router,
                                {*m.since_revision, sync_field(m, incarnation_key).value_or(0)});
      if (sync_field(m, complete_key).value_or(0) != 0)
        drop_missing_after_full_sync(link, m.patterns);
      if (auto it = pending_syncs_.find(link.id);
          it != pending_syncs_.end() && --it->second.outstanding <= 0)
        pending_syncs_.erase(it);
      if (on_sync_complete) on_sync_complete(link.id, m);
      return;
    }
    case federation_op::revision_vector:
      on_revision_vector(link, m);
      return;
    case federation_op::sync_mark:
      on_link_sync_mark(link, m);
      return;
    case federation_op::declare_namespaces:
    case federation_op::route_advert:
      return;  // handled by the session or link actor before it reaches the store
  }
  send_error(link.id, error_code::bad_request,
             "unknown FEDERATION_SYNC op " + std::to_string(static_cast<int>(m.op)));
}

void router_core::on_revision_vector(session_info& link, const msg::federation_sync& m) {
  // The count limits were checked in handle(), before anything else. Compared
  // in slices, paced like a sync answer (router_core_paced.cpp).
  if (!routing_->link(link.id) || m.revisions.empty()) return;
  paced_job job;
  job.what = paced_job::kind::revision_vector;
  job.link = link.id;
  job.vector = m.revisions;
  start_job(std::move(job));
}

bool router_core::link_is_ours(const session_info& link) const {
  const auto* view = routing_->link(link.id);
  return view && view->route_capable;
}

void router_core::request_sync(session_id_t link_id, const std::vector<std::string>& patterns, bool full) {
  auto* link = find(link_id);
  if (!link || patterns.empty()) return;
  msg::federation_sync req;
  req.op = federation_op::request_sync;
  req.patterns = patterns;
  if (auto mark = sync_marks_.watermark(link->link_router)) {
    // `full`: everything under the patterns, whatever the watermark says; the
    // incarnation still tells the answer whether it may be flagged complete.
    req.since_revision = full ? 0 : mark->seq;
    if (mark->incarnation != 0) req.revisions.emplace_back(incarnation_key, mark->incarnation);
  } else if (full) {
    req.since_revision = 0;
  }
  req.origin = config_.router_id;
  // Our own namespaces come back once per run, in full: no watermark needs to cover them.
  for (const auto& p : patterns)
    if (routing_->owner_of(p).kind != owner_kind::self &&
        std::find(link->requested_here.begin(), link->requested_here.end(), p) == link->requested_here.end())
      link->requested_here.push_back(p);
  auto& pending = pending_syncs_[link_id];
  if (pending.outstanding++ == 0) pending.mark = params_.current_seq();
  if (req.since_revision.value_or(0) == 0) pending.full = true;
  send_frame(*link, make_frame(req, codec::qos::confirm));
}

void router_core::drop_missing_after_full_sync(session_info& link,
                                               const std::vector<std::string>& patterns) {
  auto it = pending_syncs_.find(link.id);
  if (it == pending_syncs_.end()) return;  // not an answer to us: we cannot tell what it contained
  paced_job job;
  job.what = paced_job::kind::drop_missing;
  job.link = link.id;
  for (const auto& p : patterns)
    if (acceptable_pattern(p)) job.patterns.push_back(p);
  if (job.patterns.empty()) return;
  job.since = it->second.mark;
  // The last answer outstanding: its bookkeeping ends here, so the set can move.
  if (it->second.outstanding <= 1)
    job.confirmed = std::move(it->second.confirmed);
  else
    job.confirmed = it->second.confirmed;
  start_job(std::move(job));
}

void router_core::send_sync(session_id_t link_id, const std::vector<std::string>& patterns,
                            change_seq_t since, std::optional<std::uint64_t> their_incarnation) {
  auto* link = find(link_id);
  if (!link) return;
  // A watermark another run of ours issued (or, from a peer that does not say,
  // one from a future we never reached) means nothing to this run; one from
  // before purged tombstones may have missed removals: everything goes.
  const bool same_run = their_incarnation && *their_incarnation == incarnation_;
  // Negotiated per request, so neither side guesses: our routers send the
  // watermark's incarnation beside it; a bare since-revision (another
  // implementation) means what PROTOCOL.md says, params with a newer revision.
  const bool since_is_revision = !their_incarnation && since != 0;
  revision_t newer_than = 0;
  if (since_is_revision) {
    newer_than = since;
    since = 0;
  } else if ((their_incarnation && !same_run) || since > params_.current_seq() ||
             since < params_.tombstone_horizon()) {
    since = 0;
  }
  paced_job job;
  job.what = paced_job::kind::sync_answer;
  // Not after a restart of ours, even with persistence: a crash may have cost
  // us the last updates the requester holds, which must not be dropped there.
  job.complete = since == 0 && same_run && holds_everything_under(patterns);
  job.link = link_id;
  job.patterns = patterns;
  job.since = since;
  job.complete_at = params_.current_seq();
  job.newer_than = newer_than;
  start_job(std::move(job));
}

// The end of a sync answer (router_core_paced.cpp sent its records).
void router_core::finish_sync_answer(session_info& link, paced_job& job) {
  auto send = [&](const transport::frame_ptr& f) {
    if (f) job.bytes_sent += f->size();
    send_frame(link, f);
  };
  // An answer always holds at least one SNAPSHOT, even an empty one, so a peer
  // that waits for "SNAPSHOT(s) then SyncComplete" is never left guessing.
  if (!job.sent_snapshot) send(make_frame(msg::snapshot{}));
  msg::federation_sync done;
  done.op = federation_op::sync_complete;
  done.patterns = job.patterns;
  done.since_revision = job.complete_at;
  done.origin = config_.router_id;
  done.revisions.emplace_back(incarnation_key, incarnation_);
  if (job.complete) done.revisions.emplace_back(complete_key, 1);
  send(make_frame(done));
  counters_.sync_answer_bytes += job.bytes_sent;
  counters_.sync_answer_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - job.started).count());
}

}  // namespace clasp::router
