// Which session subscribed to which pattern, and the fast lookup from an
// address to the sessions that must receive it. Plain C++, owned by the state store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace clasp::router {

using session_id_t = std::uint64_t;

struct subscription {
  session_id_t session = 0;
  std::uint32_t id = 0;
  std::string pattern;
  std::uint8_t types = 0xFF;
};

class subscription_table {
 public:
  // Adds or replaces (same session and id) a subscription.
  void add(subscription sub);
  // Returns false if the session had no subscription with that id.
  bool remove(session_id_t session, std::uint32_t id);
  void remove_session(session_id_t session);
  std::size_t count(session_id_t session) const;
  std::size_t total() const;  // over every session (walks them: for stats only)
  bool has(session_id_t session, std::uint32_t id) const;

  // Calls f(session) for every subscription matching `address` whose type mask
  // includes `type_bit`. A session with several matching subscriptions is
  // reported once per matching subscription: callers de-duplicate.
  template <class F>
  void for_each_match(std::string_view address, std::uint8_t type_bit, F&& f) const;

 private:
  bool matches(const subscription& s, std::string_view address) const;

  // Exact addresses (no wildcard) are looked up by hash; wildcard patterns are
  // scanned, grouped by their first literal segment to skip unrelated ones.
  std::unordered_map<std::string, std::vector<subscription>> exact_;
  std::unordered_map<std::string, std::vector<subscription>> by_first_segment_;
  std::vector<subscription> leading_wildcard_;
  std::unordered_map<session_id_t, std::size_t> per_session_;
};

// The first segment of an address or pattern ("/a/b" -> "a").
std::string_view first_segment(std::string_view address);

}  // namespace clasp::router

#include "actors/router/subscription_table_inl.hpp"
