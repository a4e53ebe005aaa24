// Events that may have died with a link. An event is fire-and-forget: one
// sent on a link just before it closed may be in the socket, in the
// neighbour's queue or in a router that was killed. So the store keeps the
// last events it sent to our routers (resend_window_us, resend_max_events,
// resend_max_bytes), and when a routing snapshot no longer shows a link,
// sends them again on the links that now lead where they were going. Every
// router lets only the first copy of an id through (event_window), so an
// event that had arrived is not delivered twice.
#include "actors/router/router_core.hpp"

namespace clasp::router {

void router_core::remember_sent_event(const transport::frame_ptr& numbered, session_id_t origin_link) {
  const auto now = now_us();
  recent_events_.push_back({now, numbered, origin_link});
  recent_event_bytes_ += numbered->size();
  while (recent_events_.size() > resend_max_events || recent_event_bytes_ > resend_max_bytes ||
         recent_events_.front().at_us + resend_window_us < now) {
    recent_event_bytes_ -= recent_events_.front().frame->size();
    recent_events_.pop_front();
  }
}

void router_core::resend_events_after_link_loss(const federation::routing_table* before) {
  if (!before || recent_events_.empty()) return;
  // A link that stood down closed on purpose, after its queue went out.
  bool lost = false;
  for (const auto& old : before->links)
    if (!old.standing_down && !routing_->link(old.id)) lost = true;
  if (!lost) return;
  const auto now = now_us();
  codec::decoded_frame f;
  codec::decode_error err;
  for (const auto& sent : recent_events_) {
    if (sent.at_us + resend_window_us < now || !codec::decode_frame(*sent.frame, f, err)) continue;
    const auto* ev = std::get_if<msg::publish>(&f.msg.body);
    if (!ev) continue;
    const auto cls = publish_class(ev->signal);
    for (const auto& link : routing_->links) {
      if (link.id == sent.origin_link || !link.event_ids || link.provisional || link.standing_down ||
          !federation::routing_table::interested(link, ev->address))
        continue;
      // A link newer than the event never was a way for it: the router at its
      // other end (maybe restarted) did not wait for it, its clients may have had it.
      auto* s = find(link.id);
      if (s && s->linked_us <= sent.at_us) {
        send_frame(*s, sent.frame, cls);
        ++counters_.events_resent;
      }
    }
  }
}

}  // namespace clasp::router
