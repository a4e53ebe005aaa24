// Inline part of subscription_table: the per-message lookup.
#pragma once

#include "messages/address.hpp"

namespace clasp::router {

template <class F>
void subscription_table::for_each_match(std::string_view address, std::uint8_t type_bit,
                                        F&& f) const {
  if (!exact_.empty()) {
    auto it = exact_.find(std::string(address));
    if (it != exact_.end())
      for (const auto& s : it->second)
        if (s.types & type_bit) f(s.session);
  }
  if (!by_first_segment_.empty()) {
    auto it = by_first_segment_.find(std::string(first_segment(address)));
    if (it != by_first_segment_.end())
      for (const auto& s : it->second)
        if ((s.types & type_bit) && pattern_matches(s.pattern, address)) f(s.session);
  }
  for (const auto& s : leading_wildcard_)
    if ((s.types & type_bit) && pattern_matches(s.pattern, address)) f(s.session);
}

}  // namespace clasp::router
