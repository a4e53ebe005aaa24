// Every `clasp server` option, defined once: the parser, the config file,
// --help and --print-config all read this table.
#include "app/server_option_table.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace clasp::app {

namespace {

using json = nlohmann::json;

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

std::string read_token(const std::string& v) {
  if (v.empty() || v[0] != '@') return v;
  std::ifstream in(v.substr(1));
  if (!in) throw option_error{"cannot read federation token file '" + v.substr(1) + "'"};
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  return token;
}

std::uint32_t u32(const json& v) { return v.get<std::uint32_t>(); }
std::vector<std::string> strings(const json& v) { return v.get<std::vector<std::string>>(); }

std::string kind_expectation(const option_spec& spec) {
  switch (spec.kind) {
    case option_kind::text:
      return "a string";
    case option_kind::number:
      return "a whole number 0.." + std::to_string(spec.max);
    case option_kind::flag:
      return "true or false";
    case option_kind::list:
      return "a list of strings (array, or a comma-separated string)";
    case option_kind::choice: {
      std::string s = "one of";
      for (const auto& c : spec.choices) s += " " + c;
      return s;
    }
  }
  return "a value";
}

// Options that take a value.
option_spec text(std::string name, std::string group, std::string value_name, std::string help,
                 std::function<json(const server_options&)> read,
                 std::function<void(server_options&, const json&)> write) {
  option_spec s;
  s.name = std::move(name);
  s.kind = option_kind::text;
  s.group = std::move(group);
  s.value_name = std::move(value_name);
  s.help = std::move(help);
  s.read = std::move(read);
  s.write = std::move(write);
  return s;
}

option_spec with_kind(option_spec s, option_kind kind) {
  s.kind = kind;
  return s;
}

option_spec number(std::string name, std::string group, std::string help,
                   std::function<json(const server_options&)> read,
                   std::function<void(server_options&, const json&)> write,
                   std::uint64_t max = 0xFFFFFFFFull) {
  auto s = with_kind(text(std::move(name), std::move(group), "N", std::move(help), std::move(read),
                          std::move(write)),
                     option_kind::number);
  s.max = max;
  return s;
}

option_spec flag(std::string name, std::string group, std::string help,
                 std::function<json(const server_options&)> read,
                 std::function<void(server_options&, const json&)> write) {
  return with_kind(text(std::move(name), std::move(group), "", std::move(help), std::move(read),
                        std::move(write)),
                   option_kind::flag);
}

option_spec choice(std::string name, std::string group, std::vector<std::string> choices,
                   std::string help, std::function<json(const server_options&)> read,
                   std::function<void(server_options&, const json&)> write) {
  std::string value_name;
  for (const auto& c : choices) value_name += (value_name.empty() ? "" : "|") + c;
  auto s = with_kind(text(std::move(name), std::move(group), value_name, std::move(help),
                          std::move(read), std::move(write)),
                     option_kind::choice);
  s.choices = std::move(choices);
  return s;
}

option_spec with_default_text(option_spec s, std::string text) {
  s.default_text = std::move(text);
  return s;
}

std::vector<option_spec> build_table() {
  using o = server_options;
  const std::string general = "General";
  const std::string storage = "Persistence";
  const std::string fed = "Federation";
  std::vector<option_spec> t;
  t.push_back(number(
      "port", general, "TCP port for WebSocket and HTTP (0 picks a free port)",
      [](const o& x) { return json(x.port); },
      [](o& x, const json& v) { x.port = v.get<std::uint16_t>(); }, 65535));
  t.push_back(text(
      "bind", general, "ADDR", "address to listen on", [](const o& x) { return json(x.bind); },
      [](o& x, const json& v) { x.bind = v.get<std::string>(); }));
  t.push_back(text(
      "name", general, "NAME", "server name sent in WELCOME",
      [](const o& x) { return json(x.node.server_name); },
      [](o& x, const json& v) { x.node.server_name = v.get<std::string>(); }));
  t.push_back(with_kind(
      text(
          "features", general, "LIST",
          "param,event,stream,gesture,timeline,federation (\"federation\" makes this router a "
          "hub)",
          [](const o& x) { return json(feature_names(x.node.features, x.federation_feature)); },
          [](o& x, const json& v) {
            x.node.features = feature_bits(strings(v), x.federation_feature);
          }),
      option_kind::list));
  t.push_back(number(
      "max-subscriptions", general, "per session; more gets ERROR 429",
      [](const o& x) { return json(x.node.max_subscriptions); },
      [](o& x, const json& v) { x.node.max_subscriptions = u32(v); }));
  t.push_back(text(
      "tls-cert", general, "FILE", "serve wss:// with this PEM certificate (needs --tls-key)",
      [](const o& x) { return json(x.tls_cert); },
      [](o& x, const json& v) { x.tls_cert = v.get<std::string>(); }));
  t.push_back(text(
      "tls-key", general, "FILE", "PEM private key for --tls-cert",
      [](const o& x) { return json(x.tls_key); },
      [](o& x, const json& v) { x.tls_key = v.get<std::string>(); }));
  t.push_back(choice(
      "log-level", general, {"trace", "debug", "info", "warn", "error", "critical", "off"},
      "least severe log message written to stderr", [](const o& x) { return json(x.log_level); },
      [](o& x, const json& v) { x.log_level = v.get<std::string>(); }));
  t.push_back(choice(
      "log-format", general, {"text", "json"},
      "text for people; json writes one object per line: {\"ts\",\"level\",\"msg\"}",
      [](const o& x) { return json(x.log_format); },
      [](o& x, const json& v) { x.log_format = v.get<std::string>(); }));
  t.push_back(number(
      "io-threads", general, "socket threads (at least 1)",
      [](const o& x) { return json(x.io_threads); },
      [](o& x, const json& v) { x.io_threads = std::max(1u, u32(v)); }));
  t.push_back(number(
      "actor-threads", general, "actor scheduler threads (at least 1)",
      [](const o& x) { return json(x.actor_threads); },
      [](o& x, const json& v) { x.actor_threads = std::max(1u, u32(v)); }));
  t.push_back(choice(
      "actor-scheduler", general, {"sharing", "stealing"},
      "sharing: one queue, idle threads sleep (measured faster when routers share cores); "
      "stealing: CAF's work stealing",
      [](const o& x) { return json(x.actor_scheduler); },
      [](o& x, const json& v) { x.actor_scheduler = v.get<std::string>(); }));
  t.push_back(flag(
      "test-admin", general, "enable POST /admin/kill-links (fault-injection tests only)",
      [](const o& x) { return json(x.node.test_admin); },
      [](o& x, const json& v) { x.node.test_admin = v.get<bool>(); }));

  t.push_back(with_default_text(
      text(
          "state-db", storage, "PATH",
          "persist params, revisions, tombstones, router id, sync watermarks and known peers in "
          "this SQLite file (WAL). Without it (and without --data-dir) state lives in memory and "
          "a restarted leaf recovers its owned state from its hub",
          [](const o& x) { return json(x.state_db); },
          [](o& x, const json& v) { x.state_db = v.get<std::string>(); }),
      "none; DIR/state.db with --data-dir"));
  t.push_back(text(
      "data-dir", storage, "DIR",
      "directory for this router's files (created if missing); turns persistence on with "
      "DIR/state.db unless --state-db is given. An ACKed write survives SIGKILL of the router "
      "250 ms after its ACK and power loss 1.25 s after it, also under bursts and load: clients' "
      "writes wait while the disk is behind (defaults; docs/architecture.md); a corrupt "
      "database or change log stops the start and is never replaced",
      [](const o& x) { return json(x.data_dir); },
      [](o& x, const json& v) { x.data_dir = v.get<std::string>(); }));
  t.push_back(number(
      "persist-interval-ms", storage,
      "hand changes to persistence every N ms (at least 1): longer batches cost less CPU; "
      "the SIGKILL window above is N + 200 ms",
      [](const o& x) { return json(x.persist_interval_ms); },
      [](o& x, const json& v) { x.persist_interval_ms = std::max(1u, u32(v)); }));
  t.push_back(flag(
      "no-persistence", storage, "keep state in memory only (overrides --state-db/--data-dir)",
      [](const o& x) { return json(x.no_persistence); },
      [](o& x, const json& v) { x.no_persistence = v.get<bool>(); }));
  t.push_back(number(
      "tombstone-retention", storage,
      "seconds a removal (tombstone) is remembered, so peers that resync later learn of it; "
      "then it is purged, and a replica away longer gets a full resync that also drops entries "
      "the owner no longer has",
      [](const o& x) { return json(x.node.tombstone_retention_s); },
      [](o& x, const json& v) { x.node.tombstone_retention_s = u32(v); }));

  t.push_back(with_default_text(
      choice(
          "federation-mode", fed, {"off", "hub", "leaf", "mesh"},
          "hub accepts federation peers; leaf connects to --federation-hub; mesh connects to "
          "every --federation-peers URL and accepts inbound peers",
          [](const o& x) {
            switch (x.node.federation.mode) {
              case actors::federation_mode::hub:
                return json("hub");
              case actors::federation_mode::leaf:
                return json("leaf");
              case actors::federation_mode::mesh:
                return json("mesh");
              default:
                return json("off");
            }
          },
          [](o& x, const json& v) { x.requested_mode = v.get<std::string>(); }),
      "hub with --features federation, leaf with --federation-hub, else off"));
  t.push_back(
      with_kind(text(
                    "federation-hub", fed, "URL", "ws:// or wss:// URL of the hub (leaf; required)",
                    [](const o& x) { return json(x.node.federation.hub_endpoints); },
                    [](o& x, const json& v) { x.node.federation.hub_endpoints = strings(v); }),
                option_kind::list));
  t.push_back(with_kind(
      text(
          "federation-peers", fed, "URL[,URL...]",
          "ws:// or wss:// URLs of the neighbours a mesh router connects to (none: it only "
          "accepts inbound peers)",
          [](const o& x) { return json(x.node.federation.peers); },
          [](o& x, const json& v) { x.node.federation.peers = strings(v); }),
      option_kind::list));
  t.push_back(with_default_text(
      with_kind(text(
                    "federation-namespaces", fed, "LIST",
                    "namespace patterns this router owns (leaf, mesh); a hub owns none",
                    [](const o& x) { return json(x.node.federation.owned_namespaces); },
                    [](o& x, const json& v) { x.node.federation.owned_namespaces = strings(v); }),
                option_kind::list),
      "/** for a leaf"));
  t.push_back(with_default_text(
      text(
          "federation-id", fed, "ID", "router id",
          [](const o& x) { return json(x.router_id_given ? x.node.federation.router_id : ""); },
          [](o& x, const json& v) {
            x.node.federation.router_id = v.get<std::string>();
            x.router_id_given = !x.node.federation.router_id.empty();
          }),
      "the one saved in the state database, else a random UUID v4"));
  t.push_back(with_default_text(
      text(
          "federation-token", fed, "TOKEN",
          "shared token; \"@FILE\" reads it from FILE. A hub with a token refuses peers without "
          "it (ERROR 300)",
          [](const o& x) { return json(x.node.federation.auth_token.empty() ? "" : "(hidden)"); },
          [](o& x, const json& v) {
            x.node.federation.auth_token = read_token(v.get<std::string>());
          }),
      "none"));
  t.push_back(text(
      "federation-tls-ca", fed, "FILE",
      "verify wss:// peers against this CA bundle (PEM) instead of the system store",
      [](const o& x) { return json(x.node.federation.tls_ca_file); },
      [](o& x, const json& v) { x.node.federation.tls_ca_file = v.get<std::string>(); }));
  t.push_back(flag(
      "federation-tls-insecure", fed, "do not verify wss:// peers' certificates (labs only)",
      [](const o& x) { return json(x.node.federation.tls_insecure); },
      [](o& x, const json& v) { x.node.federation.tls_insecure = v.get<bool>(); }));
  t.push_back(number(
      "federation-reconnect-delay-ms", fed,
      "first reconnect delay; doubles per attempt with up to 25% jitter",
      [](const o& x) { return json(x.node.federation.reconnect_delay_ms); },
      [](o& x, const json& v) { x.node.federation.reconnect_delay_ms = u32(v); }));
  t.push_back(number(
      "federation-max-reconnect-delay-ms", fed, "reconnect backoff cap",
      [](const o& x) { return json(x.node.federation.reconnect_max_delay_ms); },
      [](o& x, const json& v) { x.node.federation.reconnect_max_delay_ms = u32(v); }));
  t.push_back(number(
      "federation-max-reconnect-attempts", fed,
      "then the peer is Failed until POST /federation/peers/reconnect (0 = unlimited)",
      [](const o& x) { return json(x.node.federation.max_reconnect_attempts); },
      [](o& x, const json& v) { x.node.federation.max_reconnect_attempts = u32(v); }));
  t.push_back(flag(
      "federation-no-reconnect", fed, "do not reconnect a link that ended",
      [](const o& x) { return json(!x.node.federation.auto_reconnect); },
      [](o& x, const json& v) { x.node.federation.auto_reconnect = !v.get<bool>(); }));
  t.push_back(number(
      "federation-sync-interval-ms", fed, "anti-entropy interval (at least 100)",
      [](const o& x) { return json(x.node.federation.sync_interval_ms); },
      [](o& x, const json& v) { x.node.federation.sync_interval_ms = std::max(100u, u32(v)); }));
  t.push_back(number(
      "federation-identity-probe-ms", fed,
      "a peer whose router id a new link claims has this long to answer a PING: if it does, "
      "the newcomer is refused (403); if not, the newcomer replaces it (100..10000)",
      [](const o& x) { return json(x.node.federation.identity_probe_ms); },
      [](o& x, const json& v) { x.node.federation.identity_probe_ms = std::clamp(u32(v), 100u, 10000u); }));
  t.push_back(text(
      "federation-client-name", fed, "NAME", "name in an outbound link's HELLO",
      [](const o& x) { return json(x.node.federation.client_name); },
      [](o& x, const json& v) { x.node.federation.client_name = v.get<std::string>(); }));
  return t;
}

}  // namespace

std::uint8_t feature_bits(const std::vector<std::string>& names, bool& federation) {
  std::uint8_t bits = 0;
  federation = false;
  for (const auto& f : names) {
    if (f == "param")
      bits |= 0x80;
    else if (f == "event")
      bits |= 0x40;
    else if (f == "stream")
      bits |= 0x20;
    else if (f == "gesture")
      bits |= 0x10;
    else if (f == "timeline")
      bits |= 0x08;
    else if (f == "federation")
      federation = true;
    else
      throw option_error{"unknown feature '" + f +
                         "' (known: param, event, stream, gesture, timeline, federation)"};
  }
  return bits;
}

std::vector<std::string> feature_names(std::uint8_t bits, bool federation) {
  std::vector<std::string> names;
  if (bits & 0x80) names.push_back("param");
  if (bits & 0x40) names.push_back("event");
  if (bits & 0x20) names.push_back("stream");
  if (bits & 0x10) names.push_back("gesture");
  if (bits & 0x08) names.push_back("timeline");
  if (federation) names.push_back("federation");
  return names;
}

const std::vector<option_spec>& server_option_table() {
  static const std::vector<option_spec> table = build_table();
  return table;
}

const option_spec* find_server_option(const std::string& name) {
  for (const auto& spec : server_option_table())
    if (spec.name == name) return &spec;
  return nullptr;
}

nlohmann::json option_value_from_text(const option_spec& spec,
                                      const std::vector<std::string>& given,
                                      const std::string& where) {
  if (spec.kind == option_kind::flag) return true;
  if (spec.kind == option_kind::list) {
    json items = json::array();
    for (const auto& g : given)
      for (auto& item : split_list(g)) items.push_back(item);
    return items;
  }
  const std::string& last = given.back();  // a repeated single-value flag: the last one wins
  if (spec.kind == option_kind::number) {
    bool digits = !last.empty() && last.size() <= 20 &&
                  last.find_first_not_of("0123456789") == std::string::npos;
    std::uint64_t n = 0;
    if (digits) {
      try {
        n = std::stoull(last);
      } catch (const std::exception&) {
        digits = false;
      }
    }
    if (!digits || n > spec.max)
      throw option_error{where + " expects " + kind_expectation(spec) + ", got '" + last + "'"};
    return n;
  }
  return checked_option_value(spec, last, where);
}

nlohmann::json checked_option_value(const option_spec& spec, const nlohmann::json& v,
                                    const std::string& where) {
  bool ok = false;
  switch (spec.kind) {
    case option_kind::text:
      ok = v.is_string();
      break;
    case option_kind::number:
      ok = v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
      ok = ok && v.get<std::uint64_t>() <= spec.max;
      break;
    case option_kind::flag:
      ok = v.is_boolean();
      break;
    case option_kind::list:
      if (v.is_string()) return option_value_from_text(spec, {v.get<std::string>()}, where);
      ok = v.is_array();
      for (const auto& item : v) ok = ok && item.is_string();
      break;
    case option_kind::choice:
      ok = v.is_string() && std::find(spec.choices.begin(), spec.choices.end(),
                                      v.get<std::string>()) != spec.choices.end();
      break;
  }
  if (!ok) throw option_error{where + " expects " + kind_expectation(spec) + ", got " + v.dump()};
  return v;
}

}  // namespace clasp::app
