// Inline part of subscription_table: the per-message lookup.
#pragma once

#include "messages/address.hpp"

namespace clasp::router {

template <class F>
void subscription_table::for_each_match(std::string_view address, std::uint8_t type_bit,
                                        F&& f) const {
  // One reused key buffer per thread: lookups must not allocate per message.
  static thread_local std::string key;
  if (!exact_.empty()) {
    key.assign(address.data(), address.size());
    auto it = exact_.find(key);
    if (it != exact_.end())
      for (const auto& s : it->second)
        if (s.types & type_bit) f(s.session);
  }
  if (!by_first_segment_.empty()) {
    const auto first = first_segment(address);
    key.assign(first.data(), first.size());
    auto it = by_first_segment_.find(key);
    if (it != by_first_segment_.end())
      for (const auto& s : it->second)
        if ((s.types & type_bit) && pattern_matches(s.pattern, address)) f(s.session);
  }
  for (const auto& s : leading_wildcard_)
    if ((s.types & type_bit) && pattern_matches(s.pattern, address)) f(s.session);
}

}  // namespace clasp::router
