// `clasp status`: a router's identity, mode, namespaces, uptime and peer
// table from its GET /status, once, as raw JSON, or refreshed every second.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace clasp::app {

// args start after "status"; returns the process exit code.
int run_status_command(const std::vector<std::string>& args);

// The human-readable page for one GET /status document.
std::string render_status(const nlohmann::json& status);

}  // namespace clasp::app
