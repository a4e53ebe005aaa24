// CLASP addresses and patterns (PROTOCOL.md "Addresses and patterns"):
// validation, `*` / `**` matching, and pattern coverage and overlap, which the
// federation layer uses for ownership decisions.
#pragma once

#include <string_view>

namespace clasp {

// "/a/b": starts with '/', no empty segment except a trailing one, no '*'.
bool is_valid_address(std::string_view address);

// Like an address, but a segment may be exactly "*" or "**".
bool is_valid_pattern(std::string_view pattern);

// `*` matches exactly one segment, `**` zero or more.
bool pattern_matches(std::string_view pattern, std::string_view address);

// True if every address `request` can match is matched by `declared`
// (`/a/b/**` covered by `/a/**`; `/a/**` not covered by `/a/*`; `/**` covers all;
// an exact path covers only itself).
bool covered_by(std::string_view request, std::string_view declared);

// True if some address is matched by both patterns.
bool patterns_overlap(std::string_view a, std::string_view b);

// True if the string contains a wildcard segment.
bool is_pattern_with_wildcards(std::string_view pattern);

}  // namespace clasp
