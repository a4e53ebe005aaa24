// Command-line CLASP clients: one blocking session over transport::connect.
#include "app/client_commands.hpp"

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>

#include <nlohmann/json.hpp>

#include "messages/codec.hpp"
#include "transport/connector.hpp"

namespace clasp::app {

namespace {

// Collects what the socket side reads so the calling thread can wait for it.
class inbox final : public transport::connection_handler {
 public:
  void on_frames(transport::frame_batch batch) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < batch.size(); ++i) frames_.emplace_back(batch.frame(i));
    cv_.notify_all();
  }
  void on_closed(std::string reason) override {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = reason.empty() ? "closed" : reason;
    cv_.notify_all();
  }
  // Next decoded message, or nothing on timeout/close (then `why` says which).
  std::optional<message> next(std::chrono::milliseconds timeout, std::string& why) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (!cv_.wait_for(lock, timeout, [&] { return !frames_.empty() || !closed_.empty(); })) {
        why = "timeout";
        return std::nullopt;
      }
      if (frames_.empty()) {
        why = closed_;
        return std::nullopt;
      }
      auto bytes = std::move(frames_.front());
      frames_.pop_front();
      codec::decoded_frame f;
      codec::decode_error err;
      if (codec::decode_frame(bytes, f, err)) return std::move(f.msg);
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> frames_;
  std::string closed_;
};

value parse_value(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception&) {
    return value(text);  // not JSON: a plain string
  }
  std::function<value(const nlohmann::json&)> conv = [&](const nlohmann::json& x) -> value {
    if (x.is_null()) return value{};
    if (x.is_boolean()) return value(x.get<bool>());
    if (x.is_number_integer()) return value(x.get<std::int64_t>());
    if (x.is_number()) return value(x.get<double>());
    if (x.is_string()) return value(x.get<std::string>());
    if (x.is_array()) {
      value_array a;
      for (const auto& e : x) a.push_back(conv(e));
      return value(std::move(a));
    }
    value_map m;
    for (auto it = x.begin(); it != x.end(); ++it) m.emplace_back(it.key(), conv(it.value()));
    return value(std::move(m));
  };
  return conv(j);
}

struct session {
  transport::io_runtime io{1};
  transport::connection_ptr conn;
  std::shared_ptr<inbox> in = std::make_shared<inbox>();

  bool open(const std::string& url, std::string& why) {
    std::promise<std::pair<std::string, transport::connection_ptr>> done;
    auto result = done.get_future();
    transport::connect(io, url, {}, [&done](std::string error, transport::connection_ptr c) {
      done.set_value({std::move(error), std::move(c)});
    });
    auto [error, c] = result.get();
    if (!c) {
      why = error;
      return false;
    }
    conn = std::move(c);
    conn->start(in);
    msg::hello hello;
    hello.features = feature::param | feature::event | feature::stream;
    hello.name = "clasp-cli";
    send(hello);
    for (;;) {
      auto m = in->next(std::chrono::seconds(5), why);
      if (!m) return false;
      if (m->is<msg::welcome>()) return true;
      if (auto e = std::get_if<msg::error>(&m->body)) {
        why = "ERROR " + std::to_string(e->code) + ": " + e->message;
        return false;
      }
    }
  }
  void send(const message& m, codec::qos q = codec::qos::fire) {
    codec::encode_options opts;
    opts.quality = q;
    if (auto f = codec::encode_frame(m, opts)) conn->send(std::make_shared<const std::string>(std::move(*f)));
  }
  ~session() {
    if (conn) conn->close();
  }
};

void print_update(const std::string& address, const value& v, std::optional<revision_t> rev) {
  if (rev)
    std::printf("%s = %s (revision %llu)\n", address.c_str(), to_string(v).c_str(),
                static_cast<unsigned long long>(*rev));
  else
    std::printf("%s = %s\n", address.c_str(), to_string(v).c_str());
  std::fflush(stdout);
}

volatile std::sig_atomic_t stop_watch = 0;

}  // namespace

std::string client_help() {
  return "Client commands (URL like ws://127.0.0.1:7330):\n"
         "  clasp set URL ADDRESS VALUE    write a param (VALUE is JSON, else a string); waits for the ACK\n"
         "  clasp get URL ADDRESS          print a param's value and revision\n"
         "  clasp publish URL ADDRESS [VALUE]   emit an event\n"
         "  clasp watch URL PATTERN        print every param update and event matching PATTERN\n";
}

int run_client_command(const std::string& command, const std::vector<std::string>& args) {
  const std::size_t needed = command == "set" ? 3 : command == "publish" ? 2 : 2;
  if (args.size() < needed || (command != "set" && command != "get" && command != "watch" && command != "publish")) {
    std::fputs(client_help().c_str(), stderr);
    return 2;
  }
  session s;
  std::string why;
  if (!s.open(args[0], why)) {
    std::fprintf(stderr, "clasp %s: cannot open a session with %s: %s\n", command.c_str(), args[0].c_str(),
                 why.c_str());
    return 1;
  }
  const std::string& address = args[1];
  if (command == "set") {
    msg::set m;
    m.address = address;
    m.val = parse_value(args[2]);
    s.send(m, codec::qos::confirm);
    for (;;) {
      auto reply = s.in->next(std::chrono::seconds(10), why);
      if (!reply) break;
      if (auto a = std::get_if<msg::ack>(&reply->body); a && a->address == address) {
        std::printf("%s = %s (revision %llu)\n", address.c_str(), to_string(m.val).c_str(),
                    static_cast<unsigned long long>(a->revision.value_or(0)));
        return 0;
      }
      if (auto e = std::get_if<msg::error>(&reply->body)) {
        std::fprintf(stderr, "clasp set: ERROR %u: %s\n", e->code, e->message.c_str());
        return 1;
      }
    }
  } else if (command == "publish") {
    msg::publish m;
    m.address = address;
    m.signal = signal_type::event;
    if (args.size() > 2) m.val = parse_value(args[2]);
    s.send(m, codec::qos::confirm);
    for (;;) {
      auto reply = s.in->next(std::chrono::seconds(10), why);
      if (!reply) break;
      if (reply->is<msg::ack>()) return 0;
      if (auto e = std::get_if<msg::error>(&reply->body)) {
        std::fprintf(stderr, "clasp publish: ERROR %u: %s\n", e->code, e->message.c_str());
        return 1;
      }
    }
  } else if (command == "get") {
    s.send(msg::get{address});
    for (;;) {
      auto reply = s.in->next(std::chrono::seconds(10), why);
      if (!reply) break;
      if (auto snap = std::get_if<msg::snapshot>(&reply->body)) {
        for (const auto& p : snap->params)
          if (p.address == address) {
            print_update(p.address, p.val, p.revision);
            return 0;
          }
      }
      if (auto e = std::get_if<msg::error>(&reply->body)) {
        std::fprintf(stderr, "clasp get: ERROR %u: %s\n", e->code, e->message.c_str());
        return 1;
      }
    }
  } else {
    std::signal(SIGINT, [](int) { stop_watch = 1; });
    std::signal(SIGTERM, [](int) { stop_watch = 1; });
    msg::subscribe sub;
    sub.id = 1;
    sub.pattern = address;
    s.send(sub);
    while (!stop_watch) {
      auto m = s.in->next(std::chrono::milliseconds(200), why);
      if (!m) {
        if (why == "timeout") continue;
        std::fprintf(stderr, "clasp watch: connection ended: %s\n", why.c_str());
        return 1;
      }
      if (auto set = std::get_if<msg::set>(&m->body)) print_update(set->address, set->val, set->revision);
      if (auto snap = std::get_if<msg::snapshot>(&m->body))
        for (const auto& p : snap->params) print_update(p.address, p.val, p.revision);
      if (auto pub = std::get_if<msg::publish>(&m->body))
        print_update(pub->address + " (event)", pub->val.value_or(value{}), std::nullopt);
      if (auto e = std::get_if<msg::error>(&m->body))
        std::fprintf(stderr, "clasp watch: ERROR %u: %s\n", e->code, e->message.c_str());
    }
    return 0;
  }
  std::fprintf(stderr, "clasp %s: no answer: %s\n", command.c_str(), why.c_str());
  return 1;
}

}  // namespace clasp::app
