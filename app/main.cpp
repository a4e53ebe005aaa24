// The `clasp` executable: subcommand dispatch.
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli_options.hpp"
#include "app/client_commands.hpp"
#include "app/router_node.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(clasp::app::top_level_help().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::puts("clasp 0.1.0 (CLASP protocol 1, federation: hub, leaf)");
    return 0;
  }
  if (args[0] == "set" || args[0] == "get" || args[0] == "watch" || args[0] == "publish")
    return clasp::app::run_client_command(args[0], {args.begin() + 1, args.end()});
  if (args[0] != "server") {
    std::fprintf(stderr, "clasp: unknown command '%s'\n%s", args[0].c_str(),
                 clasp::app::top_level_help().c_str());
    return 2;
  }
  auto parsed = clasp::app::parse_server_args({args.begin() + 1, args.end()});
  if (!parsed.options) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  return clasp::app::run_router(*parsed.options);
}
