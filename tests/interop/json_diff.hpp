// Deep comparison of two JS-shaped JSON documents with JS number semantics:
// every number compares as a double, so 3, 3u and 3.0 are equal (as in JS).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace clasp::interop {

// Empty when equal; else one line per difference, e.g. "$.params[0].revision: expected 3, got 4".
std::vector<std::string> json_diff(const nlohmann::json& expected, const nlohmann::json& actual,
                                   const std::string& path = "$");

// dump() that never throws on invalid UTF-8 (decoded strings are untrusted bytes).
std::string safe_dump(const nlohmann::json& j);

}  // namespace clasp::interop
