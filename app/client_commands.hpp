// `clasp set|get|sub|pub` (and the older `watch`, `publish`): small CLASP
// clients for operators and scripts; exit codes in app/exit_codes.hpp.
#pragma once

#include <string>
#include <vector>

namespace clasp::app {

// args start after the subcommand name; returns the process exit code.
int run_client_command(const std::string& command, const std::vector<std::string>& args);

std::string client_help();

}  // namespace clasp::app
