// Declaration rules (FEDERATION.md guarantee 9) and routing-table construction.
#include "actors/federation/namespace_registry.hpp"

#include <algorithm>
#include <set>

#include "messages/address.hpp"

namespace clasp::federation {

namespace_registry::namespace_registry(std::string self_id, std::vector<std::string> own)
    : self_id_(std::move(self_id)), own_(std::move(own)) {}

std::optional<declaration_error> namespace_registry::declare_inbound(
    const std::string& router_id, link_id_t link, const std::vector<std::string>& patterns) {
  if (router_id.empty()) return declaration_error{400, "DeclareNamespaces needs an origin router id"};
  if (router_id == self_id_)
    return declaration_error{403, "peer claims this router's own id '" + router_id + "'"};
  if (patterns.size() > max_federation_patterns)
    return declaration_error{400, "too many namespace patterns: " + std::to_string(patterns.size()) +
                                      " (limit " + std::to_string(max_federation_patterns) + ")"};
  for (const auto& p : patterns)
    if (p.size() > 1024 || !is_valid_pattern(p))
      return declaration_error{400, "invalid namespace pattern '" + p.substr(0, 200) + "'"};
  for (const auto& p : patterns) {
    for (const auto& mine : own_)
      if (patterns_overlap(p, mine))
        return declaration_error{403, "namespace '" + p + "' overlaps this router's own '" + mine + "'"};
    for (const auto& [other_id, other] : peers_) {
      // Not a conflict: the same router reconnecting, a peer that is gone, or
      // this very link re-declaring under a new id.
      if (other_id == router_id || other.link == 0 || other.link == link) continue;
      for (const auto& theirs : other.namespaces)
        if (patterns_overlap(p, theirs))
          return declaration_error{403, "namespace '" + p + "' overlaps '" + theirs +
                                            "' owned by connected peer '" + other_id + "'"};
    }
  }
  // A link re-declaring under a new router id gives up its old identity.
  for (auto& [id, entry] : peers_)
    if (entry.link == link && id != router_id) entry.link = 0;
  auto& entry = peers_[router_id];
  entry.router_id = router_id;
  entry.namespaces = patterns;
  entry.link = link;
  entry.inbound = true;
  return std::nullopt;
}

void namespace_registry::remember(const std::string& router_id,
                                  const std::vector<std::string>& patterns) {
  if (router_id.empty() || router_id == self_id_ || peers_.count(router_id)) return;
  auto& entry = peers_[router_id];
  entry.router_id = router_id;
  entry.namespaces = patterns;
  entry.link = 0;
  entry.inbound = true;
}

void namespace_registry::declare_upstream(const std::string& router_id, link_id_t link,
                                          const std::vector<std::string>& patterns) {
  // The link may have been known under a provisional id until now.
  for (auto it = upstream_.begin(); it != upstream_.end();)
    it = (it->second.link == link && it->first != router_id) ? upstream_.erase(it) : std::next(it);
  peers_.erase(router_id);  // a remembered entry for the same router is superseded
  auto& up = upstream_[router_id];
  up.link = link;
  up.namespaces.clear();
  for (const auto& p : patterns)
    if (is_valid_pattern(p)) up.namespaces.push_back(p);
}

void namespace_registry::attach_upstream(const std::string& router_id, link_id_t link) {
  upstream_[router_id].link = link;
}

void namespace_registry::link_closed(link_id_t link) {
  for (auto& [id, entry] : peers_)
    if (entry.link == link) entry.link = 0;
  for (auto& [id, up] : upstream_)
    if (up.link == link) up.link = 0;
}

std::vector<std::string> namespace_registry::declaration_for(link_id_t link) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    if (seen.insert(p).second) out.push_back(p);
  };
  for (const auto& p : own_) add(p);
  for (const auto& [id, entry] : peers_)
    if (entry.link != link)
      for (const auto& p : entry.namespaces) add(p);
  for (const auto& [id, up] : upstream_)
    if (up.link != link)
      for (const auto& p : up.namespaces) add(p);
  return out;
}

std::vector<link_id_t> namespace_registry::inbound_links() const {
  std::vector<link_id_t> out;
  for (const auto& [id, entry] : peers_)
    if (entry.link != 0 && entry.inbound) out.push_back(entry.link);
  return out;
}

routing_ptr namespace_registry::build() const {
  auto table = std::make_shared<routing_table>();
  table->self_id = self_id_;
  table->own = own_;
  for (const auto& [id, entry] : peers_)
    for (const auto& p : entry.namespaces) table->remote.push_back({p, id, entry.link});
  for (const auto& [id, up] : upstream_)
    for (const auto& p : up.namespaces) table->remote.push_back({p, id, up.link});
  for (const auto& [id, entry] : peers_) {
    if (entry.link == 0) continue;
    link_view view{entry.link, id, {}};
    view.interest = declaration_for(entry.link);
    for (const auto& p : entry.namespaces) view.interest.push_back(p);
    table->links.push_back(std::move(view));
  }
  for (const auto& [id, up] : upstream_) {
    if (up.link == 0) continue;
    link_view view{up.link, id, own_};
    for (const auto& p : up.namespaces) view.interest.push_back(p);
    table->links.push_back(std::move(view));
  }
  return table;
}

}  // namespace clasp::federation
