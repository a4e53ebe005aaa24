// Spells a node_config as `clasp server` arguments and parses them, so an
// embedded router accepts exactly what the command line accepts.
#include "embed/server_options_from_config.hpp"

#include <vector>

namespace clasp_federation::detail {

namespace {

const char* mode_flag(federation_mode mode) {
  switch (mode) {
    case federation_mode::hub:
      return "hub";
    case federation_mode::leaf:
      return "leaf";
    case federation_mode::mesh:
      return "mesh";
    case federation_mode::standalone:
      break;
  }
  return "off";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string ms(std::chrono::milliseconds d) {
  return std::to_string(d.count() < 0 ? 0 : d.count());
}

}  // namespace

std::optional<clasp::app::server_options> server_options_from_config(const node_config& config,
                                                                     std::string& error) {
  const auto& fed = config.federation;
  const std::pair<const char*, std::string> valued[] = {
      {"--bind", config.bind},
      {"--port", std::to_string(config.port)},
      {"--log-level", config.log_level},
      {"--io-threads", std::to_string(config.io_threads)},
      {"--actor-threads", std::to_string(config.actor_threads)},
      {"--federation-mode", mode_flag(fed.mode)},
      {"--federation-reconnect-delay-ms", ms(fed.reconnect_delay)},
      {"--federation-max-reconnect-delay-ms", ms(fed.max_reconnect_delay)},
      {"--federation-max-reconnect-attempts", std::to_string(fed.max_reconnect_attempts)},
      {"--federation-sync-interval-ms", ms(fed.sync_interval)},
      {"--federation-client-name", fed.client_name},
  };
  std::vector<std::string> args;
  for (const auto& [flag, value] : valued) args.insert(args.end(), {flag, value});
  if (!fed.features.empty()) args.insert(args.end(), {"--features", joined(fed.features)});
  // A hub owns nothing, so the seed's default "/**" only applies to leaf and mesh.
  if (fed.mode == federation_mode::leaf || fed.mode == federation_mode::mesh)
    args.insert(args.end(), {"--federation-namespaces", joined(fed.owned_namespaces)});
  for (const auto& url : fed.hub_endpoints) args.insert(args.end(), {"--federation-hub", url});
  for (const auto& url : fed.mesh_peers) args.insert(args.end(), {"--federation-peers", url});
  if (!fed.router_id.empty()) args.insert(args.end(), {"--federation-id", fed.router_id});
  if (!fed.auto_reconnect) args.push_back("--federation-no-reconnect");
  if (!config.state_db.empty()) args.insert(args.end(), {"--state-db", config.state_db});

  auto parsed = clasp::app::parse_server_args(args);
  if (!parsed.options) {
    error = parsed.output;
    // The parser's text ends with a pointer to --help, which means nothing here.
    if (auto cut = error.find("\nSee `clasp server --help`"); cut != std::string::npos)
      error.erase(cut);
    if (error.rfind("clasp server: ", 0) == 0) error.erase(0, 14);
    return std::nullopt;
  }
  // Set directly: the command line reads a token starting with '@' from a file.
  parsed.options->node.federation.auth_token = fed.auth_token;
  return parsed.options;
}

}  // namespace clasp_federation::detail
