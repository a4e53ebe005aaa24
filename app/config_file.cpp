// Config keys are the flag names. Accepted besides: "_" for "-" (the keys of
// earlier releases, e.g. "log_level"), {"federation": {"peers": ...}} and
// "federation.peers" for "federation-peers", and the older nested
// "router_id" and "auto_reconnect".
#include "app/config_file.hpp"

#include <algorithm>
#include <fstream>

namespace clasp::app {

namespace {

using json = nlohmann::json;

std::string canonical_key(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  std::replace(key.begin(), key.end(), '.', '-');
  if (key == "federation-router-id") return "federation-id";
  return key;
}

void add_entry(std::vector<config_entry>& out, const std::string& file, const std::string& key,
               const json& value) {
  const std::string where = "config file '" + file + "': key '" + key + "'";
  std::string name = canonical_key(key);
  json v = value;
  if (name == "federation-auto-reconnect") {  // older spelling, inverted
    if (!v.is_boolean()) throw option_error{where + " expects true or false, got " + v.dump()};
    name = "federation-no-reconnect";
    v = !v.get<bool>();
  }
  const option_spec* spec = find_server_option(name);
  if (!spec)
    throw option_error{"config file '" + file + "': unknown key '" + key +
                       "' (keys are the `clasp server` flag names, see --help)"};
  out.push_back({spec, checked_option_value(*spec, v, where), where});
}

}  // namespace

std::vector<config_entry> read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw option_error{"cannot read config file '" + path + "'"};
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    throw option_error{"config file '" + path + "' is not valid JSON: " + e.what()};
  }
  if (!doc.is_object()) throw option_error{"config file '" + path + "' must hold a JSON object"};
  std::vector<config_entry> entries;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "federation") {
      add_entry(entries, path, it.key(), it.value());
      continue;
    }
    if (!it.value().is_object())
      throw option_error{"config file '" + path +
                         "': key 'federation' must be an object like {\"mode\": \"leaf\"}"};
    for (auto f = it.value().begin(); f != it.value().end(); ++f)
      add_entry(entries, path, "federation." + f.key(), f.value());
  }
  return entries;
}

}  // namespace clasp::app
