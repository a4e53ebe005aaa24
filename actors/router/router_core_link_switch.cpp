// Switching a router's traffic from a link that stands down to the kept link
// to the same router without reordering it (see router_core::link_switch).
#include "actors/router/router_core.hpp"

namespace clasp::router {

void router_core::start_link_switches(const federation::routing_table* before) {
  for (const auto& view : routing_->links) {
    if (!view.standing_down || switches_.count(view.id)) continue;
    const auto* was = before ? before->link(view.id) : nullptr;
    if (was && was->standing_down) continue;  // its switch already ended
    auto* old_link = find(view.id);
    if (!old_link) continue;
    const federation::link_view* kept = nullptr;
    for (const auto& other : routing_->links)
      if (other.id != view.id && !other.standing_down && other.router_id == view.router_id) kept = &other;
    auto* kept_link = kept ? find(kept->id) : nullptr;
    if (!kept_link) continue;
    kept_link->held = true;
    link_switch sw{kept->id, ++next_switch_token_, now_us() + link_switch_timeout_us};
    msg::sync marker;
    marker.t1 = sw.token;
    send_frame(*old_link, make_frame(marker));  // after everything we sent on it
    switches_[view.id] = sw;
  }
  // A link that no longer stands down (its kept sibling went first) or left
  // the routing ends its switch.
  for (auto it = switches_.begin(); it != switches_.end();) {
    const auto* view = routing_->link(it->first);
    if (view && view->standing_down) {
      ++it;
      continue;
    }
    auto kept = it->second.kept;
    it = switches_.erase(it);
    if (auto* s = find(kept)) release_held(*s);
  }
}

void router_core::on_link_sync_reply(session_info& link, const msg::sync& reply) {
  auto it = switches_.find(link.id);
  if (it != switches_.end() && it->second.token == reply.t1) end_link_switch(link.id);
}

void router_core::end_link_switch(session_id_t standing_down) {
  auto it = switches_.find(standing_down);
  if (it == switches_.end()) return;
  auto kept = it->second.kept;
  switches_.erase(it);
  if (auto* s = find(kept)) release_held(*s);
}

void router_core::end_stale_link_switches(std::uint64_t now_us) {
  std::vector<session_id_t> stale;
  for (const auto& [link, sw] : switches_)
    if (now_us >= sw.deadline_us) stale.push_back(link);
  for (auto link : stale) end_link_switch(link);
}

void router_core::release_held(session_info& s) {
  s.held = false;
  auto frames = std::move(s.held_frames);
  s.held_frames.clear();
  s.held_bytes = 0;
  if (!s.conn) return;
  for (auto& f : frames) s.conn->send(f.frame, f.cls, f.key);
}

}  // namespace clasp::router
