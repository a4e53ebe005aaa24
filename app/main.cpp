// The `clasp` executable: subcommand dispatch.
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli_options.hpp"
#include "app/client_commands.hpp"
#include "app/exit_codes.hpp"
#include "app/router_node.hpp"
#include "app/status_command.hpp"
#include "app/version.hpp"

namespace {

std::string top_level_help() {
  return "clasp — CLASP router with federation (hub, leaf, mesh)\n"
         "\n"
         "Usage:\n"
         "  clasp server [options]       run a router (see `clasp server --help`)\n"
         "  clasp status [--url URL] [--json] [--watch]\n"
         "                               identity, mode, namespaces, uptime and peers of a "
         "router\n" +
         clasp::app::client_help() +
         "  clasp --help                 this text\n"
         "  clasp --version              print the version\n"
         "\n"
         "Exit codes:\n"
         "  0  ok\n"
         "  1  other failure (e.g. the server could not listen or open its database)\n"
         "  2  bad usage: unknown command or option, missing argument, bad config file\n"
         "  3  router unreachable: no connection, no handshake, or no answer in time\n"
         "  4  refused by the router: it answered with an ERROR (code and message printed)\n"
         "  5  not found: `clasp get` of an address the router does not hold\n";
}

}  // namespace

int main(int argc, char** argv) {
  namespace app = clasp::app;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(top_level_help().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? app::exit_code::usage : app::exit_code::ok;
  }
  if (args[0] == "--version") {
    std::printf("clasp %s (CLASP protocol 1, federation: hub, leaf, mesh)\n", app::clasp_version);
    return app::exit_code::ok;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& command = args[0];
  if (command == "set" || command == "get" || command == "sub" || command == "pub" ||
      command == "watch" || command == "publish")
    return app::run_client_command(command, rest);
  if (command == "status") return app::run_status_command(rest);
  if (command != "server") {
    std::fprintf(stderr, "clasp: unknown command '%s'\n\n%s", command.c_str(),
                 top_level_help().c_str());
    return app::exit_code::usage;
  }
  auto parsed = app::parse_server_args(rest);
  if (!parsed.options) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  std::string error;
  if (!app::prepare_data_dir(*parsed.options, error)) {
    std::fprintf(stderr, "clasp server: %s\n", error.c_str());
    return app::exit_code::failure;
  }
  return app::run_router(*parsed.options);
}
