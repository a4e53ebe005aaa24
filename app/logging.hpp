// The router's log: spdlog to stderr, as text for people or as one JSON
// object per line for log shippers (--log-format json).
#pragma once

#include <string>

namespace clasp::app {

// Installs the default logger. `format` is "text" or "json"; `level` an spdlog level name.
void setup_logging(const std::string& level, const std::string& format);

}  // namespace clasp::app
