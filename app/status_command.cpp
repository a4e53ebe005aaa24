// Talks HTTP to the port of the router's ws:// URL; --watch redraws with an
// ANSI clear and waits for the next second in sigtimedwait, so Ctrl-C ends it at once.
#include "app/status_command.hpp"

#include <signal.h>

#include <cstdio>
#include <ctime>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/exit_codes.hpp"
#include "app/http_client.hpp"

namespace clasp::app {

namespace {

using json = nlohmann::json;

std::string text_of(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_array()) {
    std::string s;
    for (const auto& item : v)
      s += (s.empty() ? "" : ",") + (item.is_string() ? item.get<std::string>() : item.dump());
    return s.empty() ? "-" : s;
  }
  return v.dump();
}

std::string duration_text(std::uint64_t s) {
  char buf[64];
  if (s >= 86400)
    std::snprintf(buf, sizeof(buf), "%llud %02lluh %02llum",
                  static_cast<unsigned long long>(s / 86400),
                  static_cast<unsigned long long>(s % 86400 / 3600),
                  static_cast<unsigned long long>(s % 3600 / 60));
  else
    std::snprintf(
        buf, sizeof(buf), "%lluh %02llum %02llus", static_cast<unsigned long long>(s / 3600),
        static_cast<unsigned long long>(s % 3600 / 60), static_cast<unsigned long long>(s % 60));
  return buf;
}

std::string lag_text(double seconds) {
  char buf[32];
  if (seconds < 100)
    std::snprintf(buf, sizeof(buf), "%.1fs", seconds);
  else
    return duration_text(static_cast<std::uint64_t>(seconds));
  return buf;
}

struct fetched {
  int exit = exit_code::ok;
  std::string body;
  std::string error;
};

fetched fetch_status(const std::string& url) {
  auto r = http_get(url, "/status", std::chrono::seconds(5));
  if (r.status == 0)
    return {exit_code::unreachable, "", "cannot reach a router at " + url + ": " + r.error};
  if (r.status != 200)
    return {exit_code::refused, "",
            "GET /status answered HTTP " + std::to_string(r.status) + ": " + r.body};
  return {exit_code::ok, r.body, ""};
}

const char* const status_columns_help =
    "Peer columns:\n"
    "  STATE       Connecting, Handshaking, Syncing, Active, Disconnected or Failed\n"
    "  DIRECTION   outbound: this router dialled it; inbound: it dialled this router\n"
    "  RECONNECTS  consecutive attempts that did not reach Active (outbound links)\n"
    "  MSGS IN/OUT WebSocket messages read from / written to the link since it connected\n"
    "              (handshake, syncs, updates, pings); \"-\" while it is not connected\n"
    "  SYNC LAG    time since the last sync this router asked of the peer completed\n"
    "              (its SyncComplete arrived). Anti-entropy asks every sync interval\n"
    "              (--federation-sync-interval-ms, 30 s by default), so a healthy link\n"
    "              stays below it; \"-\" until a sync over the link completed (a link\n"
    "              that leads to nothing this router replicates may never show one)\n"
    "Exit codes: 0 ok, 2 bad usage, 3 router unreachable, 4 refused or not JSON.\n";

}  // namespace

std::string render_status(const json& st) {
  std::string out;
  out += "router     " + text_of(st, "router_id") + "\n";
  out += "mode       " + text_of(st, "mode") + "\n";
  out += "namespaces " + text_of(st, "namespaces") + "\n";
  out += "uptime     " +
         (st.contains("uptime_s") && st["uptime_s"].is_number()
              ? duration_text(st["uptime_s"].get<std::uint64_t>())
              : std::string("-")) +
         "\n";
  out += "version    " + text_of(st, "version") + "\n";
  const json peers = st.contains("peers") && st["peers"].is_array() ? st["peers"] : json::array();
  out += "\npeers (" + std::to_string(peers.size()) + ")\n";
  if (peers.empty()) return out;
  // A value the router does not report (a link that is not connected) prints "-".
  const std::vector<std::pair<std::string, std::string>> columns = {
      {"ROUTER ID", "router_id"},
      {"STATE", "state"},
      {"DIRECTION", "outbound"},
      {"NAMESPACES", "namespaces"},
      {"RECONNECTS", "reconnect_attempts"},
      {"MSGS IN", "messages_in"},
      {"MSGS OUT", "messages_out"},
      {"SYNC LAG", "sync_lag_s"},
      {"LAST ERROR", "last_error"}};
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : peers) {
    std::vector<std::string> row;
    for (const auto& [title, key] : columns) {
      if (key == "sync_lag_s")
        row.push_back(p.contains(key) && p[key].is_number() ? lag_text(p[key].get<double>()) : "-");
      else if (key == "outbound")
        row.push_back(p.contains("outbound") && p["outbound"].is_boolean()
                          ? (p["outbound"].get<bool>() ? "outbound" : "inbound")
                          : "-");
      else
        row.push_back(text_of(p, key.c_str()));
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width;
  for (const auto& [title, key] : columns) width.push_back(title.size());
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      s += cells[i];
      if (i + 1 < cells.size()) s += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    return s + "\n";
  };
  std::vector<std::string> titles;
  for (const auto& [title, key] : columns) titles.push_back(title);
  out += line(titles);
  for (const auto& row : rows) out += line(row);
  return out;
}

int run_status_command(const std::vector<std::string>& args) {
  CLI::App app{"clasp status: a router's identity, mode, namespaces, uptime and peers",
               "clasp status"};
  std::string url = "ws://127.0.0.1:7330";
  bool as_json = false, watch = false;
  app.add_option("--url", url, "router (ws://HOST:PORT; HTTP on the same port)")
      ->capture_default_str();
  app.add_flag("--json", as_json, "print the raw GET /status JSON");
  app.add_flag("--watch", watch, "refresh every second until Ctrl-C");
  app.footer(status_columns_help);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return exit_code::ok;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "clasp status: %s\n\n%s", e.what(), app.help().c_str());
    return exit_code::usage;
  }
  auto show = [&](const fetched& f) {
    if (f.exit != exit_code::ok) {
      std::fprintf(watch ? stdout : stderr, "clasp status: %s\n", f.error.c_str());
      return f.exit;
    }
    if (as_json) {
      std::printf("%s\n", f.body.c_str());
      return exit_code::ok;
    }
    auto doc = json::parse(f.body, nullptr, false);
    if (doc.is_discarded()) {
      std::fprintf(watch ? stdout : stderr, "clasp status: GET /status did not answer JSON\n");
      return exit_code::refused;
    }
    std::fputs(render_status(doc).c_str(), stdout);
    return exit_code::ok;
  };
  if (!watch) return show(fetch_status(url));

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  for (;;) {
    auto f = fetch_status(url);
    std::fputs("\033[H\033[2J", stdout);  // cursor home, clear screen
    show(f);
    std::fflush(stdout);
    timespec one_second{1, 0};
    if (sigtimedwait(&stop, nullptr, &one_second) > 0) return exit_code::ok;
  }
}

}  // namespace clasp::app
