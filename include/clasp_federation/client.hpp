// A blocking CLASP client for small tools and examples: one session per call,
// every wait bounded by `timeout`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "clasp_federation/result.hpp"

namespace clasp_federation {

// SET `address` to `value_json` (JSON; text that is not JSON is sent as a
// string) on the router at `url`; the revision the router assigned.
result<std::uint64_t> set_value(const std::string& url, const std::string& address,
                                const std::string& value_json,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                const std::string& token = "");

// The value the router at `url` holds for `address`, as JSON text
// (bytes as {"bytes": "HEX"}); a failure saying "not found" when it holds none.
result<std::string> get_value(const std::string& url, const std::string& address,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5),
                              const std::string& token = "");

}  // namespace clasp_federation
