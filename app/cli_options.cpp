// `clasp server` parsing: defaults from server_options{}, then the --config
// file, then the flags (CLI11), all through the one option table; then the
// checks that span several options.
#include "app/cli_options.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <nlohmann/json.hpp>

#include "app/config_file.hpp"
#include "app/server_option_table.hpp"
#include "messages/address.hpp"
#include "transport/ws_url.hpp"

namespace clasp::app {

namespace {

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void require_ws_urls(const std::vector<std::string>& urls, const std::string& flag) {
  for (const auto& url : urls)
    if (!transport::parse_ws_url(url))
      throw option_error{flag + " must be a ws:// or wss:// URL, got '" + url + "'"};
}

// The rules that involve more than one option, and the values derived from them.
void finalize(server_options& o) {
  auto& fed = o.node.federation;
  std::string mode = o.requested_mode;
  if (mode.empty())
    mode = o.federation_feature ? "hub" : (fed.hub_endpoints.empty() ? "off" : "leaf");
  if (mode == "hub") {
    fed.mode = actors::federation_mode::hub;
    fed.owned_namespaces.clear();  // a hub owns nothing; it aggregates and redistributes
  } else if (mode == "leaf") {
    fed.mode = actors::federation_mode::leaf;
    if (fed.hub_endpoints.empty())
      throw option_error{"--federation-mode leaf needs --federation-hub URL"};
    if (fed.owned_namespaces.empty()) fed.owned_namespaces = {"/**"};
    require_ws_urls(fed.hub_endpoints, "--federation-hub");
  } else if (mode == "mesh") {
    fed.mode = actors::federation_mode::mesh;  // no peers is valid: it only accepts inbound ones
    require_ws_urls(fed.peers, "--federation-peers");
  } else {
    fed.mode = actors::federation_mode::off;
  }
  if (!fed.peers.empty() && fed.mode != actors::federation_mode::mesh)
    throw option_error{
        "--federation-peers is for --federation-mode mesh (a leaf uses --federation-hub)"};
  for (const auto& p : fed.owned_namespaces)
    if (!is_valid_pattern(p)) throw option_error{"invalid namespace pattern '" + p + "'"};
  if (fed.owned_namespaces.size() > 1000) throw option_error{"at most 1000 namespace patterns"};
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw option_error{"--tls-cert and --tls-key go together"};
  if (!fed.tls_ca_file.empty() && !file_exists(fed.tls_ca_file))
    throw option_error{"--federation-tls-ca: no such file '" + fed.tls_ca_file + "'"};
  if (!fed.tls_ca_file.empty() && fed.tls_insecure)
    throw option_error{"--federation-tls-ca and --federation-tls-insecure contradict each other"};
  if (o.state_db.empty() && !o.data_dir.empty()) {
    o.state_db = o.data_dir;
    if (o.state_db.back() != '/') o.state_db += '/';
    o.state_db += "state.db";
  }
  o.persistence = !o.state_db.empty() && !o.no_persistence;
}

std::string default_of(const option_spec& spec) {
  if (!spec.default_text.empty()) return spec.default_text;
  auto v = spec.read(server_options{});
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return "";  // flags are off by default
  if (v.is_array()) {
    std::string s;
    for (const auto& item : v) s += (s.empty() ? "" : ",") + item.get<std::string>();
    return s;
  }
  return v.dump();
}

std::string wrap(const std::string& text, std::size_t indent, std::size_t width = 100) {
  std::istringstream words(text);
  std::string word, out, line;
  while (words >> word) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

}  // namespace

std::string random_uuid_v4() {
  // random_generator draws from the operating system's entropy source.
  return boost::uuids::to_string(boost::uuids::random_generator()());
}

std::string server_help() {
  std::string out =
      "Usage: clasp server [options]\n"
      "\n"
      "Runs a CLASP router: WebSocket (subprotocol \"clasp\") and HTTP on one port.\n"
      "Prints \"listening on ws://ADDR:PORT\" on stdout once ready; logs go to stderr.\n"
      "HTTP: GET /healthz, GET /status, GET /federation/peers, GET /stats,\n"
      "POST /federation/peers/reconnect (outbound links that ended Failed try again).\n"
      "\n"
      "  --config FILE                JSON object whose keys are the option names below without\n"
      "                               the dashes, e.g. {\"port\": 7331, \"federation-mode\": "
      "\"leaf\"};\n"
      "                               federation-* also nest: {\"federation\": {\"hub\": [...]}}.\n"
      "                               Flags override the file; an unknown key or a wrong type\n"
      "                               is refused (exit 2).\n"
      "  --print-config               print the effective configuration as JSON and exit\n"
      "  -h, --help                   this text\n";
  std::string group;
  for (const auto& spec : server_option_table()) {
    if (spec.group != group) {
      group = spec.group;
      out += "\n" + group + ":\n";
    }
    std::string head = "  --" + spec.name + (spec.value_name.empty() ? "" : " " + spec.value_name);
    std::string help = spec.help;
    if (spec.kind == option_kind::list) help += "; comma-separated, repeatable";
    auto def = default_of(spec);
    if (!def.empty()) help += " (default: " + def + ")";
    if (head.size() < 31)
      head.resize(31, ' ');
    else
      head += "\n" + std::string(31, ' ');
    out += head + wrap(help, 31) + "\n";
  }
  out +=
      "\nExamples:\n"
      "  clasp server --port 7330 --features federation\n"
      "  clasp server --port 7331 --federation-mode leaf --federation-hub ws://hub:7330 \\\n"
      "      --federation-namespaces \"/site-a/**\"\n"
      "  clasp server --config site-a.json --port 7332 --print-config\n";
  return out;
}

std::string effective_config_json(const server_options& options) {
  nlohmann::ordered_json out;
  for (const auto& spec : server_option_table()) out[spec.name] = spec.read(options);
  return out.dump(2) + "\n";
}

bool prepare_data_dir(const server_options& options, std::string& error) {
  if (options.data_dir.empty()) return true;
  std::string path;
  std::istringstream parts(options.data_dir);
  std::string part;
  if (options.data_dir[0] == '/') path = "/";
  while (std::getline(parts, part, '/')) {  // mkdir -p
    if (part.empty()) continue;
    path += part + "/";
    if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) {
      error = "cannot create data directory '" + path + "': " + std::strerror(errno);
      return false;
    }
  }
  struct stat st {};
  if (::stat(options.data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = "--data-dir '" + options.data_dir + "' is not a directory";
    return false;
  }
  return true;
}

parse_result parse_server_args(const std::vector<std::string>& args) {
  parse_result result;
  server_options o;
  CLI::App app{"clasp server"};
  app.set_help_flag();  // our --help is built from the option table
  bool help = false, print_config = false;
  std::string config_path;
  app.add_flag("-h,--help", help);
  app.add_flag("--print-config", print_config);
  app.add_option("--config", config_path)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::map<const option_spec*, std::vector<std::string>> given;
  std::map<const option_spec*, CLI::Option*> cli;
  for (const auto& spec : server_option_table()) {
    if (spec.kind == option_kind::flag) {
      cli[&spec] = app.add_flag("--" + spec.name);
    } else {
      cli[&spec] = app.add_option("--" + spec.name, given[&spec])
                       ->type_name(spec.value_name)
                       ->allow_extra_args(false)  // one value per occurrence
                       ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
  }
  try {
    try {
      std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
      app.parse(reversed);
    } catch (const CLI::ParseError& e) {
      throw option_error{e.what()};
    }
    if (help) {
      result.output = server_help();
      return result;
    }
    if (!config_path.empty())
      for (const auto& entry : read_config_file(config_path)) entry.spec->write(o, entry.value);
    for (const auto& spec : server_option_table()) {
      auto* opt = cli[&spec];
      if (opt->count() == 0) continue;
      spec.write(o, option_value_from_text(spec, given[&spec], "--" + spec.name));
    }
    finalize(o);
  } catch (const option_error& e) {
    result.exit_code = 2;
    result.output = "clasp server: " + e.what + "\nSee `clasp server --help`.\n";
    return result;
  }
  if (print_config) {
    result.output = effective_config_json(o);
    return result;
  }
  if (o.node.federation.router_id.empty())
    o.node.federation.router_id = random_uuid_v4();  // may be replaced by the saved one
  result.options = std::move(o);
  return result;
}

}  // namespace clasp::app
