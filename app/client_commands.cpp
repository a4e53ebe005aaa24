// Each client command: parse (CLI11), open one session, send, wait for the
// answer that settles it, map the outcome to a documented exit code.
#include "app/client_commands.hpp"

#include <array>
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/client_session.hpp"
#include "app/exit_codes.hpp"
#include "app/value_json.hpp"

namespace clasp::app {

namespace {

constexpr const char* default_url = "ws://127.0.0.1:7330";

struct usage_error {
  std::string what;
};

// What every client command accepts.
struct common_args {
  std::string url;
  std::string token;
  std::string tls_ca;
  bool tls_insecure = false;
  unsigned timeout_s = 10;
  std::vector<std::string> words;     // positionals: [URL] then the command's own
  std::array<std::string, 3> slots_;  // URL ADDRESS VALUE at most
  std::vector<CLI::Option*> options_;

  void add_to(CLI::App& app) {
    app.add_option("--url", url, std::string("router to talk to (default ") + default_url + ")");
    app.add_option("--token", token, "token sent in HELLO");
    app.add_option("--tls-ca", tls_ca, "wss://: trust this CA file instead of the system store");
    app.add_flag("--insecure", tls_insecure, "wss://: do not check the router's certificate (labs)");
    app.add_option("--timeout", timeout_s, "seconds to wait for the router's answer (default 10)");
    // One string per slot rather than a vector, so CLI11 leaves a VALUE like [1,2]
    // whole instead of reading it as its own list syntax.
    for (auto& slot : slots_) options_.push_back(app.add_option("arg", slot));
  }
  void collect_words() {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (options_[i]->count() > 0) words.push_back(slots_[i]);
  }
  // The older form `clasp set URL ADDRESS VALUE` puts the URL first.
  void take_positional_url() {
    if (!words.empty() && (words[0].rfind("ws://", 0) == 0 || words[0].rfind("wss://", 0) == 0)) {
      if (!url.empty()) throw usage_error{"give the router URL once (--url or first argument)"};
      url = words.front();
      words.erase(words.begin());
    }
    if (url.empty()) url = default_url;
  }
  std::chrono::milliseconds timeout() const { return std::chrono::seconds(timeout_s); }
};

std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int report_error(const std::string& command, const msg::error& e) {
  std::fprintf(stderr, "clasp %s: refused by the router: ERROR %u: %s\n", command.c_str(),
               static_cast<unsigned>(e.code), e.message.c_str());
  return e.code == error_code::address_not_found && command == "get" ? exit_code::not_found
                                                                     : exit_code::refused;
}

int no_answer(const std::string& command, const std::string& why) {
  std::fprintf(stderr, "clasp %s: no answer from the router: %s\n", command.c_str(), why.c_str());
  return exit_code::unreachable;
}

int open_session(client_session& s, const std::string& command, const common_args& common) {
  std::string why;
  switch (s.open(common.url, common.token, why, {common.tls_ca, common.tls_insecure})) {
    case client_session::open_result::ok:
      return exit_code::ok;
    case client_session::open_result::refused:
      std::fprintf(stderr, "clasp %s: %s refused the session: %s\n", command.c_str(),
                   common.url.c_str(), why.c_str());
      return exit_code::refused;
    case client_session::open_result::unreachable:
      break;
  }
  std::fprintf(stderr, "clasp %s: cannot reach a router at %s: %s\n", command.c_str(),
               common.url.c_str(), why.c_str());
  return exit_code::unreachable;
}

// Waits for the ACK or ERROR naming `address` (or any ACK when address is empty).
int await_ack(client_session& s, const std::string& command, const std::string& address,
              const common_args& common, std::optional<revision_t>* revision = nullptr) {
  std::string why;
  auto deadline = std::chrono::steady_clock::now() + common.timeout();
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = s.next(std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()),
                    why);
    if (!m) return no_answer(command, why);
    if (auto a = std::get_if<msg::ack>(&m->body)) {
      if (!address.empty() && a->address && *a->address != address) continue;
      if (revision) *revision = a->revision;
      return exit_code::ok;
    }
    if (auto e = std::get_if<msg::error>(&m->body)) return report_error(command, *e);
  }
  return no_answer(command, "timeout");
}

int run_set(common_args& c, const std::string& bytes_hex, std::optional<std::uint32_t> ttl) {
  if (c.words.size() != (bytes_hex.empty() ? 2u : 1u))
    throw usage_error{bytes_hex.empty() ? "expects ADDRESS VALUE" : "expects ADDRESS with --bytes"};
  msg::set m;
  m.address = c.words[0];
  if (!bytes_hex.empty()) {
    auto bytes = bytes_from_hex(bytes_hex);
    if (!bytes)
      throw usage_error{"--bytes expects hex digits (an even number), got '" + bytes_hex + "'"};
    m.val = value(std::move(*bytes));
  } else {
    m.val = value_from_text(c.words[1]);
  }
  if (ttl) m.ttl = ttl_spec{false, *ttl};
  client_session s;
  if (int rc = open_session(s, "set", c)) return rc;
  s.send(m, codec::qos::confirm);
  std::optional<revision_t> revision;
  int rc = await_ack(s, "set", m.address, c, &revision);
  if (rc == exit_code::ok)
    std::printf("%s %s (revision %llu)\n", m.address.c_str(),
                json_text(value_to_json(m.val)).c_str(),
                static_cast<unsigned long long>(revision.value_or(0)));
  return rc;
}

int run_get(common_args& c) {
  if (c.words.size() != 1) throw usage_error{"expects ADDRESS"};
  const std::string& address = c.words[0];
  client_session s;
  if (int rc = open_session(s, "get", c)) return rc;
  s.send(msg::get{address});
  std::string why;
  auto deadline = std::chrono::steady_clock::now() + c.timeout();
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = s.next(std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()),
                    why);
    if (!m) return no_answer("get", why);
    if (auto snap = std::get_if<msg::snapshot>(&m->body)) {
      for (const auto& p : snap->params)
        if (p.address == address) {
          std::printf("%s\n", json_text(value_to_json(p.val)).c_str());
          return exit_code::ok;
        }
    }
    if (auto e = std::get_if<msg::error>(&m->body)) {
      if (e->code == error_code::address_not_found) {
        std::fprintf(stderr, "clasp get: not found: %s\n", address.c_str());
        return exit_code::not_found;
      }
      return report_error("get", *e);
    }
  }
  return no_answer("get", "timeout");
}

int run_pub(common_args& c) {
  if (c.words.empty() || c.words.size() > 2) throw usage_error{"expects ADDRESS [VALUE]"};
  msg::publish m;
  m.address = c.words[0];
  m.signal = signal_type::event;
  if (c.words.size() == 2) m.val = value_from_text(c.words[1]);
  client_session s;
  if (int rc = open_session(s, "pub", c)) return rc;
  s.send(m, codec::qos::confirm);
  return await_ack(s, "pub", "", c);
}

volatile std::sig_atomic_t stop_requested = 0;

void print_update(bool as_json, const char* kind, const std::string& address, const value& v,
                  std::optional<revision_t> revision) {
  if (as_json) {
    nlohmann::ordered_json line;
    line["address"] = address;
    line["value"] = value_to_json(v);
    if (revision) line["revision"] = *revision;
    line["kind"] = kind;
    std::printf("%s\n", json_text(line).c_str());
  } else {
    std::printf("%s %s\n", address.c_str(), json_text(value_to_json(v)).c_str());
  }
  std::fflush(stdout);
}

int run_sub(common_args& c, bool as_json) {
  if (c.words.size() != 1) throw usage_error{"expects PATTERN"};
  client_session s;
  if (int rc = open_session(s, "sub", c)) return rc;
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  msg::subscribe sub;
  sub.id = 1;
  sub.pattern = c.words[0];
  s.send(sub);
  std::string why;
  while (!stop_requested) {
    // Short waits so a signal ends the loop promptly.
    auto m = s.next(std::chrono::milliseconds(200), why);
    if (!m) {
      if (why == "timeout") continue;
      std::fprintf(stderr, "clasp sub: connection ended: %s\n", why.c_str());
      return exit_code::unreachable;
    }
    if (auto set = std::get_if<msg::set>(&m->body))
      print_update(as_json, "param", set->address, set->val, set->revision);
    else if (auto snap = std::get_if<msg::snapshot>(&m->body))
      for (const auto& p : snap->params)
        print_update(as_json, "param", p.address, p.val, p.revision);
    else if (auto pub = std::get_if<msg::publish>(&m->body))
      print_update(as_json, "event", pub->address, pub->val.value_or(value{}), std::nullopt);
    else if (auto e = std::get_if<msg::error>(&m->body))
      return report_error("sub", *e);
  }
  return exit_code::ok;
}

}  // namespace

std::string client_help() {
  return "Client commands (options: --url ws://HOST:PORT, default ws://127.0.0.1:7330;\n"
         "--token TOKEN; --timeout S, default 10; wss:// checks the certificate against the\n"
         "  system store, --tls-ca FILE, or not at all with --insecure):\n"
         "  clasp set ADDRESS VALUE      write a param and wait for its ACK. VALUE is JSON\n"
         "                               (1, 2.5, true, \"text\", null, [..], {..}); anything "
         "else\n"
         "                               is a string. --bytes HEX sends bytes instead; --ttl S "
         "expires it\n"
         "  clasp get ADDRESS            print the param's value as JSON\n"
         "  clasp sub PATTERN            print `ADDRESS VALUE` per update and event until Ctrl-C;\n"
         "                               --json prints "
         "{\"address\",\"value\",\"revision\",\"kind\"} lines\n"
         "  clasp pub ADDRESS [VALUE]    emit an event\n"
         "  Older forms still work: clasp set URL ADDRESS VALUE, get URL ADDRESS,\n"
         "  watch URL PATTERN (= sub), publish URL ADDRESS [VALUE] (= pub).\n";
}

int run_client_command(const std::string& command, const std::vector<std::string>& args) {
  const std::string name = command == "watch" ? "sub" : command == "publish" ? "pub" : command;
  CLI::App app{"clasp " + name, "clasp " + name};
  common_args common;
  common.add_to(app);
  std::string bytes_hex;
  std::uint32_t ttl_s = 0;
  CLI::Option* ttl_option = nullptr;
  bool as_json = false;
  if (name == "set") {
    app.add_option("--bytes", bytes_hex, "send these bytes (hex) as the value");
    ttl_option = app.add_option("--ttl", ttl_s, "seconds until the param expires");
  }
  if (name == "sub") app.add_flag("--json", as_json, "one JSON object per line");
  try {
    try {
      std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
      app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
      std::fputs(client_help().c_str(), stdout);
      return exit_code::ok;
    } catch (const CLI::ParseError& e) {
      throw usage_error{e.what()};
    }
    common.collect_words();
    common.take_positional_url();
    if (name == "set")
      return run_set(common, bytes_hex,
                     ttl_option->count() ? std::optional<std::uint32_t>(ttl_s) : std::nullopt);
    if (name == "get") return run_get(common);
    if (name == "pub") return run_pub(common);
    if (name == "sub") return run_sub(common, as_json);
    throw usage_error{"unknown command"};
  } catch (const usage_error& e) {
    std::fprintf(stderr, "clasp %s: %s\n\n%s", name.c_str(), e.what.c_str(), client_help().c_str());
    return exit_code::usage;
  }
}

}  // namespace clasp::app
