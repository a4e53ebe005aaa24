// Renders a decoded C++ message as the object @clasp-to/core's decoder would
// return for the same bytes (JSON-friendly, as tests/interop/lib/normalize.js does).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "messages/messages.hpp"

namespace clasp::interop {

// Every JS number is a double: i64 and u64 fields are rounded like Number(bigint).
// NaN, infinities and -0 become {"$f64": "..."}, bytes {"$bytes": hex}; absent
// optional fields are left out (JSON.stringify drops undefined).
nlohmann::json js_number(double d);
nlohmann::json js_value(const value& v);
nlohmann::json js_shape(const message& m);

std::string to_hex(const std::string& bytes);
// False on odd length or a non-hex digit.
bool from_hex(const std::string& hex, std::string& out);

}  // namespace clasp::interop
