// The one table of `clasp server` options: each entry is the flag (`--NAME`),
// the config-file key (`NAME`), its help text, and how it reads and writes
// `server_options`; defaults are whatever `server_options{}` holds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "app/cli_options.hpp"

namespace clasp::app {

// What a value looks like on the command line and in the config file.
enum class option_kind {
  text,    // a string
  number,  // a whole number 0..max; a JSON unsigned integer in the file
  flag,    // no value on the command line; true/false in the file
  list,    // comma-separated and repeatable on the command line; an array (or string) in the file
  choice,  // one of `choices`
};

struct option_spec {
  std::string name;  // flag without the leading dashes, and the config key
  option_kind kind = option_kind::text;
  std::string group;       // heading in --help
  std::string value_name;  // placeholder in --help, e.g. "N", "FILE"
  std::string help;
  std::function<nlohmann::json(const server_options&)> read;
  // Gets a value already checked against `kind` (see checked_option_value).
  std::function<void(server_options&, const nlohmann::json&)> write;
  std::vector<std::string> choices;   // choice
  std::uint64_t max = 0xFFFFFFFFull;  // number
  std::string default_text;           // shown instead of read(defaults) when set
};

// Thrown for a value that does not fit its option; `what` names the option.
struct option_error {
  std::string what;
};

const std::vector<option_spec>& server_option_table();
// The entry named `name` (no dashes), or nullptr.
const option_spec* find_server_option(const std::string& name);

// The value as the option's write() expects it: from command-line text (`from_text`)
// or from a config-file JSON value. Throws option_error naming `where`.
nlohmann::json option_value_from_text(const option_spec& spec,
                                      const std::vector<std::string>& given,
                                      const std::string& where);
nlohmann::json checked_option_value(const option_spec& spec, const nlohmann::json& value,
                                    const std::string& where);

// Feature names <-> the WELCOME feature bits.
std::uint8_t feature_bits(const std::vector<std::string>& names, bool& federation);
std::vector<std::string> feature_names(std::uint8_t bits, bool federation);

}  // namespace clasp::app
