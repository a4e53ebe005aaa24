// `clasp server` flags (the seed's spellings plus what operators need) and the
// optional JSON config file they override.
#include "app/cli_options.hpp"

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "messages/address.hpp"

namespace clasp::app {

namespace {

struct usage_error {
  std::string what;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::uint32_t parse_u32(const std::string& flag, const std::string& v) {
  try {
    std::size_t used = 0;
    auto n = std::stoull(v, &used);
    if (used != v.size() || n > 0xFFFFFFFFull) throw std::out_of_range("range");
    return static_cast<std::uint32_t>(n);
  } catch (const std::exception&) {
    throw usage_error{flag + " expects a non-negative whole number, got '" + v + "'"};
  }
}

std::string read_token(const std::string& v) {
  if (v.empty() || v[0] != '@') return v;
  std::ifstream in(v.substr(1));
  if (!in) throw usage_error{"cannot read federation token file '" + v.substr(1) + "'"};
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  return token;
}

std::uint8_t feature_bits(const std::vector<std::string>& names, bool& federation) {
  std::uint8_t bits = 0;
  for (const auto& f : names) {
    if (f == "param") bits |= 0x80;
    else if (f == "event") bits |= 0x40;
    else if (f == "stream") bits |= 0x20;
    else if (f == "gesture") bits |= 0x10;
    else if (f == "timeline") bits |= 0x08;
    else if (f == "federation") federation = true;
    else throw usage_error{"unknown feature '" + f + "' (known: param, event, stream, gesture, timeline, federation)"};
  }
  return bits;
}

void apply_json(server_options& o, const nlohmann::json& j, bool& federation_feature,
                std::string& mode) {
  auto& fed = o.node.federation;
  if (j.contains("bind")) o.bind = j["bind"].get<std::string>();
  if (j.contains("port")) o.port = j["port"].get<std::uint16_t>();
  if (j.contains("name")) o.node.server_name = j["name"].get<std::string>();
  if (j.contains("log_level")) o.log_level = j["log_level"].get<std::string>();
  if (j.contains("features"))
    o.node.features = feature_bits(j["features"].get<std::vector<std::string>>(), federation_feature);
  if (j.contains("tls_cert")) o.tls_cert = j["tls_cert"].get<std::string>();
  if (j.contains("tls_key")) o.tls_key = j["tls_key"].get<std::string>();
  if (j.contains("max_subscriptions")) o.node.max_subscriptions = j["max_subscriptions"].get<std::size_t>();
  if (j.contains("state_db")) o.state_db = j["state_db"].get<std::string>();
  if (j.contains("persist_interval_ms"))
    o.persist_interval_ms = std::max(1u, j["persist_interval_ms"].get<std::uint32_t>());
  if (!j.contains("federation")) return;
  const auto& f = j["federation"];
  if (f.contains("mode")) mode = f["mode"].get<std::string>();
  if (f.contains("hub")) {
    if (f["hub"].is_array()) fed.hub_endpoints = f["hub"].get<std::vector<std::string>>();
    else fed.hub_endpoints = {f["hub"].get<std::string>()};
  }
  if (f.contains("namespaces")) fed.owned_namespaces = f["namespaces"].get<std::vector<std::string>>();
  if (f.contains("router_id")) fed.router_id = f["router_id"].get<std::string>();
  if (f.contains("token")) fed.auth_token = read_token(f["token"].get<std::string>());
  if (f.contains("auto_reconnect")) fed.auto_reconnect = f["auto_reconnect"].get<bool>();
  if (f.contains("reconnect_delay_ms")) fed.reconnect_delay_ms = f["reconnect_delay_ms"].get<std::uint32_t>();
  if (f.contains("max_reconnect_delay_ms")) fed.reconnect_max_delay_ms = f["max_reconnect_delay_ms"].get<std::uint32_t>();
  if (f.contains("max_reconnect_attempts")) fed.max_reconnect_attempts = f["max_reconnect_attempts"].get<std::uint32_t>();
  if (f.contains("sync_interval_ms")) fed.sync_interval_ms = f["sync_interval_ms"].get<std::uint32_t>();
  if (f.contains("client_name")) fed.client_name = f["client_name"].get<std::string>();
}

}  // namespace

std::string random_uuid_v4() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  std::uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string top_level_help() {
  return "clasp — CLASP router with federation (hub, leaf)\n"
         "\n"
         "Usage:\n"
         "  clasp server [options]     run a router (see `clasp server --help`)\n"
         "  clasp set URL ADDRESS VALUE | get URL ADDRESS | publish URL ADDRESS [VALUE]\n"
         "  clasp watch URL PATTERN    print updates matching PATTERN until Ctrl-C\n"
         "  clasp --help               this text\n"
         "  clasp --version            print the version\n";
}

std::string server_help() {
  return R"(Usage: clasp server [options]

Runs a CLASP router: WebSocket (subprotocol "clasp") and HTTP on one port.
Prints "listening on ws://ADDR:PORT" on stdout once ready; logs go to stderr.
HTTP: GET /healthz, GET /federation/peers, GET /stats, POST /federation/peers/reconnect
(outbound links that ended Failed try again).

General:
  --port N                     TCP port (default 7330; 0 picks a free port)
  --bind ADDR                  address to listen on (default 0.0.0.0)
  --name NAME                  server name sent in WELCOME (default clasp-federation)
  --features LIST              comma-separated: param,event,stream,gesture,timeline,federation
                               (default: all but federation). "federation" makes this router a hub.
  --max-subscriptions N        per session (default 1000; more gets ERROR 429)
  --tls-cert FILE --tls-key FILE   serve wss:// (PEM files)
  --config FILE                JSON config (keys: bind, port, name, features, log_level, tls_cert,
                               tls_key, max_subscriptions, state_db, persist_interval_ms,
                               federation{mode, hub, namespaces,
                               router_id, token, auto_reconnect, reconnect_delay_ms,
                               max_reconnect_delay_ms, max_reconnect_attempts, sync_interval_ms,
                               client_name}); flags given on the command line win
  --log-level LEVEL            trace, debug, info, warn, error, off (default info)
  --io-threads N               socket threads (default 1)
  --actor-threads N            actor scheduler threads (default 2)
  --actor-scheduler POLICY     sharing (one shared queue; idle threads sleep instead of
                               polling) or stealing (CAF's work stealing) (default sharing:
                               measured faster when routers share cores)
  --state-db PATH              persist params, revisions, tombstones, router id, sync watermarks
                               and known peers in this SQLite file (WAL; changes are committed
                               every --persist-interval-ms). Default: no file; state lives in
                               memory and a restarted leaf recovers its owned state from its hub.
  --persist-interval-ms N      commit changes to --state-db every N ms (default 50): longer
                               batches cost less CPU, a crash loses at most N ms of writes
  --no-persistence             keep state in memory only (the default; overrides --state-db)
  --test-admin                 enable POST /admin/kill-links (fault-injection tests only)

Federation (defaults from the clasp-federation seed):
  --federation-mode hub|leaf   hub accepts federation peers; leaf connects to a hub
                               (default: hub if --features has federation)
  --federation-hub URL         ws:// or wss:// URL of the hub (leaf; required)
  --federation-namespaces LIST namespaces this leaf owns; comma-separated and repeatable
                               (default "/**")
  --federation-id ID           router id (default: the one saved in the state database, else a
                               random UUID v4)
  --federation-token TOKEN     shared token; "@FILE" reads it from FILE (default: none).
                               A hub with a token refuses peers without it (ERROR 300).
  --federation-reconnect-delay-ms N       first reconnect delay (default 5000); doubles per
                                          attempt with up to 25% jitter
  --federation-max-reconnect-delay-ms N   backoff cap (default 60000)
  --federation-max-reconnect-attempts N   then the peer is Failed (default 0 = unlimited)
  --federation-no-reconnect               do not reconnect (auto_reconnect = false)
  --federation-sync-interval-ms N         anti-entropy interval (default 30000)
  --federation-client-name NAME           name in the leaf's HELLO (default clasp-federation)
  --federation-tls-ca FILE                wss:// links trust only this PEM CA bundle (default:
                                          the system store); certificate and host name are checked
  --federation-tls-insecure               wss:// links skip the certificate check (labs only)

Examples:
  clasp server --port 7330 --features federation
  clasp server --port 7331 --federation-mode leaf --federation-hub ws://hub:7330 \
      --federation-namespaces "/site-a/**"
)";
}

parse_result parse_server_args(const std::vector<std::string>& args) {
  parse_result result;
  server_options o;
  auto& fed = o.node.federation;
  bool federation_feature = false;
  std::string mode;
  bool namespaces_from_cli = false;
  bool no_persistence = false;
  try {
    // A config file is read first so that command-line flags override it.
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] != "--config") continue;
      std::ifstream in(args[i + 1]);
      if (!in) throw usage_error{"cannot read config file '" + args[i + 1] + "'"};
      nlohmann::json j;
      try {
        in >> j;
        apply_json(o, j, federation_feature, mode);
      } catch (const nlohmann::json::exception& e) {
        throw usage_error{"config file '" + args[i + 1] + "': " + e.what()};
      }
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw usage_error{a + " needs a value"};
        return args[++i];
      };
      if (a == "--help" || a == "-h") {
        result.output = server_help();
        return result;
      } else if (a == "--config") {
        value();
      } else if (a == "--port") {
        auto n = parse_u32(a, value());
        if (n > 65535) throw usage_error{"--port must be 0..65535"};
        o.port = static_cast<std::uint16_t>(n);
      } else if (a == "--bind") {
        o.bind = value();
      } else if (a == "--name") {
        o.node.server_name = value();
      } else if (a == "--features") {
        o.node.features = feature_bits(split_list(value()), federation_feature);
      } else if (a == "--max-subscriptions") {
        o.node.max_subscriptions = parse_u32(a, value());
      } else if (a == "--tls-cert") {
        o.tls_cert = value();
      } else if (a == "--tls-key") {
        o.tls_key = value();
      } else if (a == "--log-level") {
        o.log_level = value();
        static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
        bool ok = false;
        for (auto l : levels) ok = ok || o.log_level == l;
        if (!ok) throw usage_error{"unknown --log-level '" + o.log_level + "'"};
      } else if (a == "--io-threads") {
        o.io_threads = std::max(1u, parse_u32(a, value()));
      } else if (a == "--actor-threads") {
        o.actor_threads = std::max(1u, parse_u32(a, value()));
      } else if (a == "--actor-scheduler") {
        o.actor_scheduler = value();
        if (o.actor_scheduler != "stealing" && o.actor_scheduler != "sharing")
          throw usage_error{"--actor-scheduler is stealing or sharing"};
      } else if (a == "--no-persistence") {
        no_persistence = true;
      } else if (a == "--state-db") {
        o.state_db = value();
      } else if (a == "--persist-interval-ms") {
        o.persist_interval_ms = std::max(1u, parse_u32(a, value()));
      } else if (a == "--test-admin") {
        o.node.test_admin = true;
      } else if (a == "--federation-mode") {
        mode = value();
      } else if (a == "--federation-hub") {
        fed.hub_endpoints.push_back(value());
      } else if (a == "--federation-namespaces") {
        if (!namespaces_from_cli) fed.owned_namespaces.clear();
        namespaces_from_cli = true;
        for (auto& p : split_list(value())) fed.owned_namespaces.push_back(p);
      } else if (a == "--federation-id") {
        fed.router_id = value();
        if (fed.router_id.empty()) throw usage_error{"--federation-id must not be empty"};
      } else if (a == "--federation-token") {
        fed.auth_token = read_token(value());
      } else if (a == "--federation-reconnect-delay-ms") {
        fed.reconnect_delay_ms = parse_u32(a, value());
      } else if (a == "--federation-max-reconnect-delay-ms") {
        fed.reconnect_max_delay_ms = parse_u32(a, value());
      } else if (a == "--federation-max-reconnect-attempts") {
        fed.max_reconnect_attempts = parse_u32(a, value());
      } else if (a == "--federation-no-reconnect") {
        fed.auto_reconnect = false;
      } else if (a == "--federation-sync-interval-ms") {
        fed.sync_interval_ms = std::max(100u, parse_u32(a, value()));
      } else if (a == "--federation-client-name") {
        fed.client_name = value();
      } else if (a == "--federation-tls-ca") {
        fed.tls_ca_file = value();
      } else if (a == "--federation-tls-insecure") {
        fed.tls_insecure = true;
      } else {
        throw usage_error{"unknown option '" + a + "'"};
      }
    }
    if (mode.empty()) mode = federation_feature ? "hub" : (fed.hub_endpoints.empty() ? "off" : "leaf");
    if (mode == "hub") {
      fed.mode = actors::federation_mode::hub;
      fed.owned_namespaces.clear();  // a hub owns nothing; it aggregates and redistributes
    } else if (mode == "leaf") {
      fed.mode = actors::federation_mode::leaf;
      if (fed.hub_endpoints.empty()) throw usage_error{"--federation-mode leaf needs --federation-hub URL"};
      if (fed.owned_namespaces.empty()) fed.owned_namespaces = {"/**"};
      for (const auto& url : fed.hub_endpoints)
        if (url.rfind("ws://", 0) != 0 && url.rfind("wss://", 0) != 0)
          throw usage_error{"--federation-hub must be a ws:// or wss:// URL, got '" + url + "'"};
    } else if (mode == "mesh") {
      throw usage_error{"--federation-mode mesh is not implemented yet (hub and leaf are)"};
    } else if (mode != "off") {
      throw usage_error{"unknown --federation-mode '" + mode + "' (hub or leaf)"};
    }
    for (const auto& p : fed.owned_namespaces)
      if (!is_valid_pattern(p)) throw usage_error{"invalid namespace pattern '" + p + "'"};
    if (fed.owned_namespaces.size() > 1000) throw usage_error{"at most 1000 namespace patterns"};
    if (o.tls_cert.empty() != o.tls_key.empty())
      throw usage_error{"--tls-cert and --tls-key go together"};
    o.persistence = !o.state_db.empty() && !no_persistence;
    o.router_id_given = !fed.router_id.empty();
    if (fed.router_id.empty()) fed.router_id = random_uuid_v4();  // may be replaced by the saved one
  } catch (const usage_error& e) {
    result.exit_code = 2;
    result.output = "clasp server: " + e.what + "\nSee `clasp server --help`.\n";
    return result;
  }
  result.options = std::move(o);
  return result;
}

}  // namespace clasp::app
