// `clasp set|get|watch|publish`: small command-line clients for operators and
// the demo, speaking CLASP over the same transport the router uses.
#pragma once

#include <string>
#include <vector>

namespace clasp::app {

// args start after the subcommand name; returns the process exit code.
int run_client_command(const std::string& command, const std::vector<std::string>& args);

std::string client_help();

}  // namespace clasp::app
