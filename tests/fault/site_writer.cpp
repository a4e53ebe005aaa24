// The writer loop: connect, SET, wait for the ACK or ERROR naming the
// address, record, pause briefly, repeat; on silence or a close, reconnect.
#include "tests/fault/site_writer.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <random>

#include "tests/support/wire_client.hpp"

namespace clasp::faulttest {

namespace {

using test::millis;

// Longer than the router's write-forward timeout (5 s), so a 502 arrives first.
constexpr millis reply_timeout{7000};
// A reply is awaited in slices, so stop() is never held up for long.
constexpr millis reply_slice{200};
constexpr millis connect_timeout{1000};
// Load shaping, not synchronisation: a few hundred writes a second per writer
// keep the faults meaningful without starving two shared cores.
constexpr millis write_pause{4};
constexpr millis reconnect_pause{50};
constexpr std::size_t max_unexpected_kept = 5;

std::unique_ptr<test::wire_client> connect_client(std::uint16_t port, const std::string& name) {
  auto c = std::make_unique<test::wire_client>();
  if (!c->connect(port, connect_timeout)) return nullptr;
  msg::hello h;
  h.version = 1;
  h.features = test::client_features;
  h.name = name;
  if (!c->send(h)) return nullptr;
  if (!c->recv_until<msg::welcome>([](const msg::welcome&) { return true; }, connect_timeout))
    return nullptr;
  return c;
}

}  // namespace

site_writer::site_writer(std::string name, std::uint16_t port, std::vector<std::string> own,
                         std::vector<std::string> cross, std::int64_t value_base,
                         write_ledger& ledger)
    : name_(std::move(name)),
      port_(port),
      own_(std::move(own)),
      cross_(std::move(cross)),
      next_value_(value_base + 1),
      ledger_(ledger) {}

site_writer::~site_writer() { stop(); }

void site_writer::start() { thread_ = std::thread([this] { run(); }); }

void site_writer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  pause_changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void site_writer::pause() {
  std::unique_lock<std::mutex> lock(mutex_);
  pause_requested_ = true;
  pause_changed_.wait(lock, [this] { return paused_ || stopping_ || !thread_.joinable(); });
}

void site_writer::resume() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pause_requested_ = false;
  }
  pause_changed_.notify_all();
}

void site_writer::wait_while_paused() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!pause_requested_) return;
  paused_ = true;
  pause_changed_.notify_all();
  pause_changed_.wait(lock, [this] { return !pause_requested_ || stopping_; });
  paused_ = false;
}

writer_counts site_writer::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

std::vector<std::string> site_writer::unexpected_answers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unexpected_;
}

void site_writer::run() {
  std::mt19937_64 rng(static_cast<std::uint64_t>(next_value_));
  std::unique_ptr<test::wire_client> client;
  auto count = [this](std::size_t writer_counts::*field) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++(counts_.*field);
  };
  while (!stopping_) {
    wait_while_paused();
    if (stopping_) break;
    if (!client) {
      client = connect_client(port_, name_);
      if (!client) {
        std::this_thread::sleep_for(reconnect_pause);
        continue;
      }
      count(&writer_counts::connects);
    }
    const bool cross = !cross_.empty() && rng() % 4 == 0;
    const auto& pool = cross ? cross_ : own_;
    msg::set s;
    s.address = pool[rng() % pool.size()];
    const std::int64_t v = next_value_++;
    s.val = value(v);
    ledger_.sent(s.address, v);
    if (!client->send(s, codec::qos::confirm)) {
      count(&writer_counts::unanswered);
      client.reset();
      continue;
    }
    std::optional<message> reply;
    const auto deadline = clock_type::now() + reply_timeout;
    while (!reply && !stopping_ && clock_type::now() < deadline && !client->closed()) {
      auto m = client->recv(reply_slice);
      if (!m) continue;
      if (m->is<msg::ack>() && m->as<msg::ack>().address == s.address) reply = m;
      if (m->is<msg::error>() &&
          (!m->as<msg::error>().address || *m->as<msg::error>().address == s.address))
        reply = m;
    }
    if (!reply) {
      if (stopping_) break;
      count(&writer_counts::unanswered);
      client.reset();
      continue;
    }
    if (reply->is<msg::ack>() && reply->as<msg::ack>().revision) {
      ledger_.acked(s.address, v, *reply->as<msg::ack>().revision);
      count(&writer_counts::acked);
      if (cross) count(&writer_counts::cross_acked);
    } else if (reply->is<msg::error>() &&
               (reply->as<msg::error>().code == error_code::unavailable ||
                reply->as<msg::error>().code == error_code::timeout)) {
      count(&writer_counts::refused);
    } else {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counts_.unexpected;
      if (unexpected_.size() < max_unexpected_kept)
        unexpected_.push_back("SET " + s.address + " at " + name_ + ": " + test::describe(*reply));
    }
    std::this_thread::sleep_for(write_pause);
  }
}

}  // namespace clasp::faulttest
