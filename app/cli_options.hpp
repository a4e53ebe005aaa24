// Command-line and JSON-config parsing for `clasp server`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/node_config.hpp"

namespace clasp::app {

struct server_options {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 7330;
  std::string log_level = "info";
  std::string log_format = "text";  // text or json
  std::string tls_cert;
  std::string tls_key;
  unsigned io_threads = 1;
  unsigned actor_threads = 2;
  std::string actor_scheduler = "sharing";
  bool persistence = false;  // on with --state-db or --data-dir, unless --no-persistence
  bool no_persistence = false;
  std::string state_db;
  std::string data_dir;                    // --data-dir: state database (and later files) live here
  std::uint32_t persist_interval_ms = 50;  // how often changes are committed (with --state-db)
  actors::node_config node;
  bool router_id_given = false;     // --federation-id (else a saved or random one)
  bool federation_feature = false;  // "federation" in --features: hub unless a mode is given
  std::string requested_mode;       // --federation-mode as given; empty = inferred
};

struct parse_result {
  std::optional<server_options> options;  // set when the server should run
  int exit_code = 0;                      // otherwise: exit with this after printing `output`
  std::string output;
};

// argv without the program name, starting after "server". Exit code 2 for bad
// usage or a bad config file; --help and --print-config give 0 and their text.
parse_result parse_server_args(const std::vector<std::string>& args);

// The effective configuration as a config file would spell it (token hidden).
std::string effective_config_json(const server_options& options);

// Creates --data-dir if it is missing; false and `error` set if it cannot.
bool prepare_data_dir(const server_options& options, std::string& error);

std::string server_help();

// A random UUID v4 (the default router id).
std::string random_uuid_v4();

}  // namespace clasp::app
