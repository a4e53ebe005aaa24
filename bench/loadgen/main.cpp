// clasp_loadgen: one process, a publisher thread and a subscriber thread on one
// steady clock, driving CLASP, NATS or MQTT; prints one JSON line per run.
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench_client.hpp"
#include "delivery_record.hpp"
#include "options.hpp"

using namespace bench;
using steady = std::chrono::steady_clock;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

std::unique_ptr<bench_client> connect(const options& o, const std::string& url, const char* name) {
  if (o.system == "nats") return make_nats_client(url, o.keys, name);
  if (o.system == "mqtt") return make_mqtt_client(url, o.keys, name);
  return make_clasp_client(url, o.keys, name, o.clasp_message == "event");
}

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) r += c;
  }
  return r;
}

struct run_result {
  bool ok = true;
  std::string error;
  std::uint64_t sent = 0, received = 0, dup = 0, stale = 0, stalls = 0;
  double elapsed_s = 0, msgs_per_sec = 0;
  latency_summary lat;
};

void print_result(const options& o, const run_result& r) {
  std::printf(
      "{\"system\":\"%s\",\"mode\":\"%s\",\"label\":\"%s\",\"ok\":%s,\"error\":\"%s\","
      "\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"dup\":%llu,\"stale\":%llu,\"stalls\":%llu,"
      "\"elapsed_s\":%.3f,\"msgs_per_sec\":%.0f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f}\n",
      o.system.c_str(), o.mode.c_str(), json_escape(o.label).c_str(), r.ok ? "true" : "false",
      json_escape(r.error).c_str(), static_cast<unsigned long long>(r.sent),
      static_cast<unsigned long long>(r.received),
      static_cast<unsigned long long>(r.sent > r.received ? r.sent - r.received : 0),
      static_cast<unsigned long long>(r.dup), static_cast<unsigned long long>(r.stale),
      static_cast<unsigned long long>(r.stalls), r.elapsed_s, r.msgs_per_sec, r.lat.p50_us,
      r.lat.p90_us, r.lat.p99_us, r.lat.p999_us, r.lat.max_us, r.lat.mean_us);
  std::fflush(stdout);
}

// State shared by the publisher (main thread), the subscriber and the watchdog.
struct shared_counters {
  std::atomic<bool> stop{false};
  std::atomic<bool> warm{false};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};  // unique data payloads
  std::atomic<std::int64_t> last_rx_ns{0};
};

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  const bool latency_mode = o.mode == "latency";
  const auto started = steady::now();
  const auto hard_deadline =
      started + std::chrono::milliseconds(static_cast<std::int64_t>((o.duration + 30) * 1000));
  shared_counters c;
  run_result result;

  // Every run ends by itself: past the hard deadline the watchdog reports what
  // it has and exits, whatever the sockets are doing.
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(done_mutex);
    if (done_cv.wait_until(lock, hard_deadline, [&] { return done; })) return;
    run_result r;
    r.ok = false;
    r.error = "hard deadline reached";
    r.sent = c.sent.load();
    r.received = c.received.load();
    print_result(o, r);
    std::_Exit(3);
  });
  auto finish = [&](int code) {
    {
      std::lock_guard<std::mutex> lock(done_mutex);
      done = true;
    }
    done_cv.notify_all();
    watchdog.join();
    return code;
  };

  std::unique_ptr<bench_client> sub, pub;
  try {
    sub = connect(o, o.sub_url, "bench-sub");
    sub->subscribe_all();
    pub = connect(o, o.pub_url, "bench-pub");
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = std::string("connect: ") + e.what();
    print_result(o, result);
    return finish(2);
  }

  const std::uint64_t total =
      latency_mode ? static_cast<std::uint64_t>(std::ceil(o.rate * o.duration)) : o.messages;
  delivery_record record(total);
  const std::uint64_t nonce = std::random_device{}() ^ static_cast<std::uint64_t>(now_ns());
  std::string sub_error;

  std::thread subscriber([&] {
    auto sink = [&](const std::uint8_t* data, std::size_t n) {
      payload p;
      if (!decode_payload(data, n, p) || p.nonce != nonce) {
        ++result.stale;  // a value left from an earlier run (persistence, retained)
        return;
      }
      if (p.kind == payload_kind::probe) {
        c.warm.store(true, std::memory_order_release);
        return;
      }
      std::int64_t t = now_ns();
      if (record.record(p.seq, t - static_cast<std::int64_t>(p.sent_ns))) {
        c.received.store(record.unique(), std::memory_order_release);
        c.last_rx_ns.store(t, std::memory_order_relaxed);
      }
    };
    try {
      while (!c.stop.load(std::memory_order_acquire)) sub->pump(20, sink);
    } catch (const std::exception& e) {
      sub_error = e.what();
    }
  });

  auto ignore = [](const std::uint8_t*, std::size_t) {};
  std::string pub_error;
  std::int64_t first_send_ns = 0;
  try {
    // Warm-up: probes until one crosses, so interest has propagated through
    // the hub (NATS leaf interest, bridges connected, federation links up).
    const auto warm_deadline =
        steady::now() + std::chrono::milliseconds(static_cast<std::int64_t>(o.warmup_timeout * 1000));
    for (std::uint64_t i = 0; !c.warm.load(std::memory_order_acquire); ++i) {
      if (steady::now() > warm_deadline || !sub_error.empty())
        throw std::runtime_error("no probe reached the subscriber (no delivery path)");
      pub->publish(0, encode_payload({i, static_cast<std::uint64_t>(now_ns()), nonce, payload_kind::probe}));
      pub->flush();
      pub->pump(0, ignore);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    first_send_ns = now_ns();
    const auto send_deadline =
        steady::now() + std::chrono::milliseconds(static_cast<std::int64_t>(o.duration * 1000));
    if (latency_mode) {
      const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / o.rate));
      const auto t0 = steady::now();
      for (std::uint64_t seq = 0; seq < total; ++seq) {
        std::this_thread::sleep_until(t0 + period * static_cast<std::int64_t>(seq));
        pub->publish(static_cast<std::uint32_t>(seq % o.keys),
                     encode_payload({seq, static_cast<std::uint64_t>(now_ns()), nonce, payload_kind::data}));
        pub->flush();
        c.sent.store(seq + 1, std::memory_order_release);
        if (seq % 256 == 0) pub->pump(0, ignore);
        if (steady::now() > hard_deadline) break;
      }
    } else {
      // Bounded in-flight window; a window that makes no progress for 1 s is
      // written off as lost (counted in stalls) so lossy systems still finish.
      const std::uint64_t batch = std::min<std::uint64_t>(64, o.window);
      std::uint64_t seq = 0, written_off = 0, last_seen = 0;
      auto last_progress = steady::now();
      while (seq < total && steady::now() < send_deadline) {
        std::uint64_t got = c.received.load(std::memory_order_acquire);
        if (got != last_seen) {
          last_seen = got;
          last_progress = steady::now();
        }
        // Signed: late arrivals after a write-off may push this below zero.
        auto in_flight = static_cast<std::int64_t>(seq - got) - static_cast<std::int64_t>(written_off);
        if (in_flight + static_cast<std::int64_t>(batch) > static_cast<std::int64_t>(o.window)) {
          pub->flush();
          if (steady::now() - last_progress > std::chrono::seconds(1)) {
            written_off = seq - got;
            ++result.stalls;
            last_progress = steady::now();
          }
          std::this_thread::sleep_for(std::chrono::microseconds(50));
          continue;
        }
        for (std::uint64_t end = std::min(total, seq + batch); seq < end; ++seq)
          pub->publish(static_cast<std::uint32_t>(seq % o.keys),
                       encode_payload({seq, static_cast<std::uint64_t>(now_ns()), nonce, payload_kind::data}));
        pub->flush();
        c.sent.store(seq, std::memory_order_release);
        if (seq % 4096 < batch) pub->pump(0, ignore);
      }
    }

    // Drain: until everything arrived or nothing new for drain_timeout.
    const auto quiet = std::chrono::milliseconds(static_cast<std::int64_t>(o.drain_timeout * 1000));
    std::uint64_t last = c.received.load();
    auto last_change = steady::now();
    while (c.received.load() < c.sent.load() && steady::now() < hard_deadline && sub_error.empty()) {
      std::uint64_t now_got = c.received.load();
      if (now_got != last) {
        last = now_got;
        last_change = steady::now();
      } else if (steady::now() - last_change > quiet) {
        break;
      }
      pub->pump(10, ignore);
    }
  } catch (const std::exception& e) {
    pub_error = e.what();
  }

  c.stop.store(true, std::memory_order_release);
  subscriber.join();

  result.sent = c.sent.load();
  result.received = record.unique();
  result.dup = record.duplicates();
  result.lat = record.summarize();
  std::int64_t last_rx = c.last_rx_ns.load();
  if (first_send_ns && last_rx > first_send_ns) {
    result.elapsed_s = static_cast<double>(last_rx - first_send_ns) / 1e9;
    result.msgs_per_sec = static_cast<double>(result.received) / result.elapsed_s;
  }
  if (!pub_error.empty() || !sub_error.empty()) {
    result.ok = false;
    result.error = !pub_error.empty() ? "publisher: " + pub_error : "subscriber: " + sub_error;
  }
  print_result(o, result);
  return finish(result.ok ? 0 : 1);
}
