// Runs one router process: actor system, sockets, HTTP endpoints, and an
// orderly shutdown on SIGINT/SIGTERM.
#pragma once

#include "app/cli_options.hpp"

namespace clasp::app {

// Blocks until SIGINT or SIGTERM; returns the process exit code.
int run_router(const server_options& options);

}  // namespace clasp::app
