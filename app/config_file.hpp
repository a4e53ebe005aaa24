// The JSON config file of `clasp server`: keys are the option names of the
// option table; federation-* options may also be nested under "federation".
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/server_option_table.hpp"

namespace clasp::app {

struct config_entry {
  const option_spec* spec = nullptr;
  nlohmann::json value;  // checked against spec->kind
  std::string where;     // "config file 'F': key 'K'" for messages
};

// Reads and checks `path`; throws option_error naming the file and the key
// for an unreadable file, bad JSON, an unknown key or a value of the wrong type.
std::vector<config_entry> read_config_file(const std::string& path);

}  // namespace clasp::app
