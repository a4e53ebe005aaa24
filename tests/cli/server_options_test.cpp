// `clasp server` parsing in-process: the option table, the config file
// (valid, unknown key, wrong type, nested federation form), flags over the
// file, --print-config, and the checks that span options.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/cli_options.hpp"
#include "app/server_option_table.hpp"
#include "tests/support/temp_dir.hpp"

namespace clasp::app {
namespace {

using test::temp_dir;
using json = nlohmann::json;

server_options parse_ok(const std::vector<std::string>& args) {
  auto r = parse_server_args(args);
  EXPECT_TRUE(r.options.has_value()) << r.output;
  EXPECT_EQ(r.exit_code, 0);
  return r.options.value_or(server_options{});
}

// The refusal text; fails the test unless the exit code is 2.
std::string refused(const std::vector<std::string>& args) {
  auto r = parse_server_args(args);
  EXPECT_FALSE(r.options.has_value());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  return r.output;
}

TEST(ServerOptions, EveryExistingFlagSpellingStillParses) {
  temp_dir dir;
  auto token_file = dir.write("token", "from-file\n");
  auto o = parse_ok({"--port",
                     "7444",
                     "--bind",
                     "127.0.0.1",
                     "--name",
                     "n1",
                     "--features",
                     "param,event",
                     "--max-subscriptions",
                     "7",
                     "--log-level",
                     "warn",
                     "--io-threads",
                     "3",
                     "--actor-threads",
                     "4",
                     "--actor-scheduler",
                     "stealing",
                     "--state-db",
                     dir.file("s.db"),
                     "--persist-interval-ms",
                     "9",
                     "--test-admin",
                     "--federation-mode",
                     "leaf",
                     "--federation-hub",
                     "ws://127.0.0.1:1",
                     "--federation-namespaces",
                     "/a/**",
                     "--federation-namespaces",
                     "/b/**,/c/**",
                     "--federation-id",
                     "leaf-1",
                     "--federation-token",
                     "@" + token_file,
                     "--federation-reconnect-delay-ms",
                     "200",
                     "--federation-max-reconnect-delay-ms",
                     "900",
                     "--federation-max-reconnect-attempts",
                     "3",
                     "--federation-no-reconnect",
                     "--federation-sync-interval-ms",
                     "1000",
                     "--federation-client-name",
                     "cn"});
  const auto& fed = o.node.federation;
  EXPECT_EQ(o.port, 7444);
  EXPECT_EQ(o.bind, "127.0.0.1");
  EXPECT_EQ(o.node.server_name, "n1");
  EXPECT_EQ(o.node.features, 0x80 | 0x40);
  EXPECT_EQ(o.node.max_subscriptions, 7u);
  EXPECT_EQ(o.log_level, "warn");
  EXPECT_EQ(o.io_threads, 3u);
  EXPECT_EQ(o.actor_threads, 4u);
  EXPECT_EQ(o.actor_scheduler, "stealing");
  EXPECT_TRUE(o.persistence);
  EXPECT_EQ(o.persist_interval_ms, 9u);
  EXPECT_TRUE(o.node.test_admin);
  EXPECT_EQ(fed.mode, actors::federation_mode::leaf);
  EXPECT_EQ(fed.hub_endpoints, std::vector<std::string>{"ws://127.0.0.1:1"});
  EXPECT_EQ(fed.owned_namespaces, (std::vector<std::string>{"/a/**", "/b/**", "/c/**"}));
  EXPECT_EQ(fed.router_id, "leaf-1");
  EXPECT_TRUE(o.router_id_given);
  EXPECT_EQ(fed.auth_token, "from-file");
  EXPECT_EQ(fed.reconnect_delay_ms, 200u);
  EXPECT_EQ(fed.reconnect_max_delay_ms, 900u);
  EXPECT_EQ(fed.max_reconnect_attempts, 3u);
  EXPECT_FALSE(fed.auto_reconnect);
  EXPECT_EQ(fed.sync_interval_ms, 1000u);
  EXPECT_EQ(fed.client_name, "cn");
}

TEST(ServerOptions, DefaultsComeFromServerOptionsAndHelpShowsThem) {
  auto o = parse_ok({});
  server_options d;
  EXPECT_EQ(o.port, d.port);
  EXPECT_EQ(o.node.federation.mode, actors::federation_mode::off);
  EXPECT_FALSE(o.persistence);
  EXPECT_FALSE(o.node.federation.router_id.empty());  // a random id
  EXPECT_FALSE(o.router_id_given);
  const auto help = server_help();
  for (const auto& spec : server_option_table()) {
    EXPECT_NE(help.find("--" + spec.name), std::string::npos) << spec.name;
    auto def = spec.read(d);
    if (spec.kind == option_kind::number)
      EXPECT_NE(help.find("(default: " + def.dump() + ")"), std::string::npos) << spec.name;
  }
  EXPECT_NE(help.find("(default: 7330)"), std::string::npos);
  EXPECT_NE(help.find("(default: 86400)"), std::string::npos);
}

TEST(ServerOptions, HelpAndPrintConfigExitZero) {
  auto help = parse_server_args({"--help"});
  EXPECT_FALSE(help.options);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--federation-peers"), std::string::npos);
  auto printed = parse_server_args({"--print-config", "--port", "7555"});
  EXPECT_FALSE(printed.options);
  EXPECT_EQ(printed.exit_code, 0);
  EXPECT_EQ(json::parse(printed.output)["port"], 7555);
}

TEST(ServerOptions, ConfigFileSetsOptionsFlatAndNested) {
  temp_dir dir;
  auto path = dir.write("c.json", R"({
    "port": 7101, "bind": "127.0.0.1", "log-format": "json", "tombstone-retention": 60,
    "features": ["param", "event"],
    "federation": {"mode": "mesh", "peers": ["ws://127.0.0.1:9001", "wss://peer.example:9002"],
                   "namespaces": "/m/**", "tls-insecure": true},
    "federation-id": "mesh-1"
  })");
  auto o = parse_ok({"--config", path});
  const auto& fed = o.node.federation;
  EXPECT_EQ(o.port, 7101);
  EXPECT_EQ(o.bind, "127.0.0.1");
  EXPECT_EQ(o.log_format, "json");
  EXPECT_EQ(o.node.tombstone_retention_s, 60u);
  EXPECT_EQ(o.node.features, 0x80 | 0x40);
  EXPECT_EQ(fed.mode, actors::federation_mode::mesh);
  EXPECT_EQ(fed.peers,
            (std::vector<std::string>{"ws://127.0.0.1:9001", "wss://peer.example:9002"}));
  EXPECT_EQ(fed.owned_namespaces, std::vector<std::string>{"/m/**"});
  EXPECT_TRUE(fed.tls_insecure);
  EXPECT_EQ(fed.router_id, "mesh-1");
}

TEST(ServerOptions, EarlierConfigKeysStillAccepted) {
  temp_dir dir;
  auto path = dir.write("old.json", R"({"log_level": "debug", "max_subscriptions": 5,
    "federation": {"mode": "leaf", "hub": "ws://127.0.0.1:7330", "router_id": "old-id",
                   "auto_reconnect": false, "reconnect_delay_ms": 250}})");
  auto o = parse_ok({"--config", path});
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_EQ(o.node.max_subscriptions, 5u);
  EXPECT_EQ(o.node.federation.router_id, "old-id");
  EXPECT_FALSE(o.node.federation.auto_reconnect);
  EXPECT_EQ(o.node.federation.reconnect_delay_ms, 250u);
}

TEST(ServerOptions, FlagsOverrideTheConfigFile) {
  temp_dir dir;
  auto path = dir.write("c.json", R"({"port": 7101, "federation-namespaces": ["/file/**"],
    "federation-mode": "leaf", "federation-hub": "ws://127.0.0.1:1", "log-level": "debug"})");
  auto o = parse_ok({"--port", "7202", "--config", path, "--federation-namespaces", "/flag/**"});
  EXPECT_EQ(o.port, 7202);  // flag wins though it came before --config
  EXPECT_EQ(o.node.federation.owned_namespaces, std::vector<std::string>{"/flag/**"});
  EXPECT_EQ(o.log_level, "debug");  // untouched by flags: the file's value
}

TEST(ServerOptions, UnknownConfigKeyIsRefusedNamingIt) {
  temp_dir dir;
  auto top = refused({"--config", dir.write("a.json", R"({"port": 1, "prot": 2})")});
  EXPECT_NE(top.find("unknown key 'prot'"), std::string::npos) << top;
  auto nested = refused({"--config", dir.write("b.json", R"({"federation": {"peer": []}})")});
  EXPECT_NE(nested.find("unknown key 'federation.peer'"), std::string::npos) << nested;
  auto meta = refused({"--config", dir.write("c.json", R"({"config": "x.json"})")});
  EXPECT_NE(meta.find("unknown key 'config'"), std::string::npos) << meta;
}

TEST(ServerOptions, WrongTypeInConfigIsRefusedNamingTheKey) {
  temp_dir dir;
  struct bad {
    const char* doc;
    const char* key;
  };
  for (const auto& b :
       {bad{R"({"port": "7330"})", "'port'"}, bad{R"({"port": 70000})", "'port'"},
        bad{R"({"port": -1})", "'port'"}, bad{R"({"test-admin": 1})", "'test-admin'"},
        bad{R"({"federation": {"peers": [1]}})", "'federation.peers'"},
        bad{R"({"log-format": "xml"})", "'log-format'"},
        bad{R"({"federation": "hub"})", "'federation'"}, bad{R"({"bind": null})", "'bind'"}}) {
    auto out = refused({"--config", dir.write("bad.json", b.doc)});
    EXPECT_NE(out.find(b.key), std::string::npos) << b.doc << " -> " << out;
  }
  auto not_json = refused({"--config", dir.write("x.json", "{\"port\": ")});
  EXPECT_NE(not_json.find("not valid JSON"), std::string::npos) << not_json;
  auto array = refused({"--config", dir.write("y.json", "[1]")});
  EXPECT_NE(array.find("JSON object"), std::string::npos) << array;
  auto missing = refused({"--config", dir.file("missing.json")});
  EXPECT_NE(missing.find("cannot read config file"), std::string::npos) << missing;
}

TEST(ServerOptions, BadFlagsAreRefusedWithExitTwo) {
  EXPECT_NE(refused({"--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(refused({"--port"}).find("--port"), std::string::npos);
  EXPECT_NE(refused({"--port", "x"}).find("--port expects"), std::string::npos);
  EXPECT_NE(refused({"--port", "65536"}).find("--port"), std::string::npos);
  EXPECT_NE(refused({"--log-format", "xml"}).find("--log-format"), std::string::npos);
  EXPECT_NE(refused({"--features", "telepathy"}).find("telepathy"), std::string::npos);
  EXPECT_NE(refused({"--federation-mode", "ring"}).find("--federation-mode"), std::string::npos);
  EXPECT_NE(refused({"--federation-mode", "leaf"}).find("--federation-hub"), std::string::npos);
  EXPECT_NE(refused({"--tls-cert", "a.pem"}).find("--tls-key"), std::string::npos);
}

TEST(ServerOptions, MeshPeersAreParsedAndValidated) {
  auto alone = parse_ok({"--federation-mode", "mesh"});  // no peers: accepts inbound ones only
  EXPECT_EQ(alone.node.federation.mode, actors::federation_mode::mesh);
  EXPECT_TRUE(alone.node.federation.peers.empty());
  auto o = parse_ok({"--federation-mode", "mesh", "--federation-peers",
                     "ws://127.0.0.1:1,ws://127.0.0.1:2", "--federation-peers", "wss://h:3"});
  EXPECT_EQ(o.node.federation.peers,
            (std::vector<std::string>{"ws://127.0.0.1:1", "ws://127.0.0.1:2", "wss://h:3"}));
  EXPECT_NE(refused({"--federation-mode", "mesh", "--federation-peers", "http://h:1"})
                .find("'http://h:1'"),
            std::string::npos);
  EXPECT_NE(refused({"--federation-mode", "mesh", "--federation-peers", "ws://"}).find("ws://"),
            std::string::npos);
  EXPECT_NE(refused({"--federation-peers", "ws://h:1"}).find("mesh"), std::string::npos);
}

TEST(ServerOptions, FederationTlsOptions) {
  temp_dir dir;
  auto ca = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  auto o = parse_ok({"--federation-tls-ca", ca});
  EXPECT_EQ(o.node.federation.tls_ca_file, ca);
  EXPECT_TRUE(parse_ok({"--federation-tls-insecure"}).node.federation.tls_insecure);
  EXPECT_NE(refused({"--federation-tls-ca", dir.file("none.pem")}).find("none.pem"),
            std::string::npos);
  EXPECT_NE(refused({"--federation-tls-ca", ca, "--federation-tls-insecure"}).find("contradict"),
            std::string::npos);
}

TEST(ServerOptions, DataDirTurnsPersistenceOnWithStateDbInside) {
  auto o = parse_ok({"--data-dir", "site-a", "--tombstone-retention", "120"});
  EXPECT_EQ(o.data_dir, "site-a");
  EXPECT_EQ(o.state_db, "site-a/state.db");
  EXPECT_TRUE(o.persistence);
  EXPECT_EQ(o.node.tombstone_retention_s, 120u);
  auto explicit_db = parse_ok({"--data-dir", "site-a", "--state-db", "other.db"});
  EXPECT_EQ(explicit_db.state_db, "other.db");
  EXPECT_FALSE(parse_ok({"--data-dir", "site-a", "--no-persistence"}).persistence);
}

TEST(ServerOptions, PrepareDataDirCreatesItOrSaysWhyNot) {
  temp_dir dir;
  server_options o;
  o.data_dir = dir.file("a/b/c");
  std::string error;
  EXPECT_TRUE(prepare_data_dir(o, error)) << error;
  EXPECT_TRUE(std::filesystem::is_directory(o.data_dir));
  o.data_dir = dir.write("plain-file", "x") + "/sub";
  EXPECT_FALSE(prepare_data_dir(o, error));
  EXPECT_NE(error.find("cannot create data directory"), std::string::npos) << error;
}

TEST(ServerOptions, PrintConfigIsAConfigFileThatReproducesItself) {
  temp_dir dir;
  auto first = parse_server_args({"--print-config", "--port", "7301", "--federation-mode", "leaf",
                                  "--federation-hub", "ws://127.0.0.1:7300", "--federation-id", "x",
                                  "--log-format", "json", "--data-dir", dir.file("d")});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto doc = json::parse(first.output);
  for (const auto& spec : server_option_table()) EXPECT_TRUE(doc.contains(spec.name)) << spec.name;
  EXPECT_EQ(doc["federation-mode"], "leaf");
  EXPECT_EQ(doc["federation-namespaces"], json::array({"/**"}));
  EXPECT_EQ(doc["state-db"], dir.file("d") + "/state.db");
  auto again = parse_server_args({"--print-config", "--config", dir.write("p.json", first.output)});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(json::parse(again.output), doc);
}

TEST(ServerOptions, PrintConfigHidesTheToken) {
  auto out = parse_server_args({"--print-config", "--federation-token", "s3cret"}).output;
  EXPECT_EQ(out.find("s3cret"), std::string::npos);
  EXPECT_EQ(json::parse(out)["federation-token"], "(hidden)");
}

TEST(server_options, default_router_ids_are_distinct_uuid_v4s) {
  const std::string a = random_uuid_v4(), b = random_uuid_v4();
  EXPECT_NE(a, b);
  for (const auto& id : {a, b}) {
    ASSERT_EQ(id.size(), 36u) << id;
    for (std::size_t dash : {8u, 13u, 18u, 23u}) EXPECT_EQ(id[dash], '-') << id;
    EXPECT_EQ(id[14], '4') << "version nibble: " << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << "variant: " << id;
  }
}

}  // namespace
}  // namespace clasp::app
