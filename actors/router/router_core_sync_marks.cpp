// Sync marks: how an owner's live stream moves the requester's watermark.
//
// A requester's watermark for a router only moved with a SyncComplete, so
// after a bulk change that reached it live (a million SETs), its next
// anti-entropy round asked "since" a mark from before them, and the answer
// re-sent the whole table. Between our routers the answering side now says,
// at most every sync_mark_interval_us: "every change of mine up to seq S under
// these patterns has been sent on this link" (FEDERATION_SYNC op 6). The link
// is in order and never loses a param update (the queue keeps at least the
// latest value of an address, or the link closes), so a requester that took
// everything the link brought may move its watermark to S. Anti-entropy then
// sends what changed since, not the table.
#include <algorithm>

#include "actors/federation/namespace_registry.hpp"
#include "actors/router/router_core.hpp"
#include "actors/router/sync_fields.hpp"

namespace clasp::router {

bool router_core::answering_sync(session_id_t link) const {
  return std::any_of(jobs_.begin(), jobs_.end(), [&](const paced_job& job) {
    return job.link == link && job.what == paced_job::kind::sync_answer;
  });
}

void router_core::send_sync_marks(std::uint64_t now) {
  const change_seq_t seq = params_.current_seq();
  for (const auto& view : routing_->links) {
    // Another implementation would not know the op; a standing-down link no
    // longer gets our changes, so it must not be told it has them.
    if (!view.route_capable || view.standing_down) continue;
    auto* s = find(view.id);
    if (!s || !s->conn || s->synced_to.empty()) continue;
    if (s->synced_to.size() > federation::max_federation_patterns) continue;  // cannot travel in one
    if (s->marked_seq == seq || now < s->next_mark_us) continue;
    // Until an answer has gone out whole, the link does not hold what it asked for.
    if (answering_sync(s->id)) continue;
    msg::federation_sync mark;
    mark.op = federation_op::sync_mark;
    mark.patterns = s->synced_to;
    mark.since_revision = seq;
    mark.origin = config_.router_id;
    mark.revisions.emplace_back(sync_fields::incarnation_key, incarnation_);
    send_frame(*s, make_frame(mark));
    s->marked_seq = seq;
    s->next_mark_us = now + sync_mark_interval_us;
    ++counters_.sync_marks_sent;
  }
}

void router_core::on_link_sync_mark(session_info& link, const msg::federation_sync& m) {
  if (!link_is_ours(link) || !m.since_revision) return;
  // Something this link sent was not taken (routes were moving): only a
  // real sync may say we hold it now.
  if (link.missed_update) return;
  // A sync of ours on this link is still on its way: its SyncComplete decides.
  if (pending_syncs_.count(link.id)) return;
  // The mark moves a watermark of the same run of that router only: the
  // first one comes from a completed sync.
  const auto mark = sync_marks_.watermark(link.link_router);
  const auto incarnation = sync_fields::get(m, sync_fields::incarnation_key);
  if (!mark || !incarnation || *incarnation != mark->incarnation || *m.since_revision <= mark->seq)
    return;
  // It must cover everything we asked this link for (the watermark counts for all of it).
  if (link.requested_here.empty()) return;
  for (const auto& asked : link.requested_here)
    if (std::find(m.patterns.begin(), m.patterns.end(), asked) == m.patterns.end()) return;
  sync_marks_.record_sync(link.link_router, {*m.since_revision, *incarnation});
  ++counters_.sync_marks_applied;
}

}  // namespace clasp::router
