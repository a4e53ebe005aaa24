// Subscription bookkeeping: add/remove and the indexes used for matching.
#include "actors/router/subscription_table.hpp"

#include <algorithm>

namespace clasp::router {

std::string_view first_segment(std::string_view address) {
  if (!address.empty() && address.front() == '/') address.remove_prefix(1);
  auto slash = address.find('/');
  return slash == std::string_view::npos ? address : address.substr(0, slash);
}

namespace {
bool is_wildcard_segment(std::string_view seg) { return seg == "*" || seg == "**"; }

template <class Map>
bool erase_from(Map& map, const std::string& key, session_id_t session, std::uint32_t id) {
  auto it = map.find(key);
  if (it == map.end()) return false;
  auto& vec = it->second;
  auto before = vec.size();
  vec.erase(std::remove_if(vec.begin(), vec.end(),
                           [&](const subscription& s) { return s.session == session && s.id == id; }),
            vec.end());
  bool removed = vec.size() != before;
  if (vec.empty()) map.erase(it);
  return removed;
}
}  // namespace

void subscription_table::add(subscription sub) {
  remove(sub.session, sub.id);
  ++per_session_[sub.session];
  if (!is_pattern_with_wildcards(sub.pattern)) {
    auto key = sub.pattern;
    exact_[key].push_back(std::move(sub));
    return;
  }
  auto first = first_segment(sub.pattern);
  if (is_wildcard_segment(first)) {
    leading_wildcard_.push_back(std::move(sub));
  } else {
    std::string key(first);
    by_first_segment_[key].push_back(std::move(sub));
  }
}

bool subscription_table::remove(session_id_t session, std::uint32_t id) {
  bool removed = false;
  // The pattern is not known here, so look in every index; subscriptions are few
  // per session and removal is rare compared with matching.
  for (auto it = exact_.begin(); !removed && it != exact_.end();) {
    auto key = it->first;
    ++it;
    removed = erase_from(exact_, key, session, id);
  }
  for (auto it = by_first_segment_.begin(); !removed && it != by_first_segment_.end();) {
    auto key = it->first;
    ++it;
    removed = erase_from(by_first_segment_, key, session, id);
  }
  if (!removed) {
    auto before = leading_wildcard_.size();
    leading_wildcard_.erase(std::remove_if(leading_wildcard_.begin(), leading_wildcard_.end(),
                                           [&](const subscription& s) {
                                             return s.session == session && s.id == id;
                                           }),
                            leading_wildcard_.end());
    removed = leading_wildcard_.size() != before;
  }
  if (removed) {
    auto it = per_session_.find(session);
    if (it != per_session_.end() && --it->second == 0) per_session_.erase(it);
  }
  return removed;
}

void subscription_table::remove_session(session_id_t session) {
  auto drop = [&](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      auto& vec = it->second;
      vec.erase(std::remove_if(vec.begin(), vec.end(),
                               [&](const subscription& s) { return s.session == session; }),
                vec.end());
      it = vec.empty() ? map.erase(it) : std::next(it);
    }
  };
  drop(exact_);
  drop(by_first_segment_);
  leading_wildcard_.erase(
      std::remove_if(leading_wildcard_.begin(), leading_wildcard_.end(),
                     [&](const subscription& s) { return s.session == session; }),
      leading_wildcard_.end());
  per_session_.erase(session);
}

bool subscription_table::has(session_id_t session, std::uint32_t id) const {
  auto in = [&](const std::vector<subscription>& vec) {
    for (const auto& s : vec)
      if (s.session == session && s.id == id) return true;
    return false;
  };
  if (count(session) == 0) return false;
  for (const auto& [key, vec] : exact_)
    if (in(vec)) return true;
  for (const auto& [key, vec] : by_first_segment_)
    if (in(vec)) return true;
  return in(leading_wildcard_);
}

std::size_t subscription_table::count(session_id_t session) const {
  auto it = per_session_.find(session);
  return it == per_session_.end() ? 0 : it->second;
}

std::size_t subscription_table::total() const {
  std::size_t n = 0;
  for (const auto& [session, count] : per_session_) n += count;
  return n;
}

}  // namespace clasp::router
