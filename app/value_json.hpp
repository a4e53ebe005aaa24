// CLASP values as the command line writes and prints them: JSON, with bytes
// as {"bytes": "HEX"} on output.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "messages/value.hpp"

namespace clasp::app {

// VALUE as typed: JSON (1, 2.5, true, "text", null, [..], {..}); anything that is
// not JSON is taken as a plain string.
value value_from_text(const std::string& text);

// Hex digits (an optional 0x, even count) to bytes; nullopt if malformed.
std::optional<byte_string> bytes_from_hex(const std::string& hex);

nlohmann::json value_to_json(const value& v);

}  // namespace clasp::app
