// Owns the Asio io_context and the thread(s) that run all sockets.
#pragma once

#include <cstdint>
#include <memory>

namespace clasp::transport {

// Socket-level totals since the runtime started, for /metrics. Plain relaxed
// counters bumped once per accept, close, socket read and socket write.
struct traffic_totals {
  std::uint64_t connections_accepted = 0;  // TCP connections a server accepted
  std::uint64_t connections_closed = 0;    // of those, the ones closed since
  std::uint64_t upgrade_failures = 0;      // WebSocket upgrades refused (400, 426) or cut off
  std::uint64_t bytes_received = 0;        // every socket of the runtime, above TLS
  std::uint64_t bytes_sent = 0;
};

class io_runtime {
 public:
  explicit io_runtime(unsigned threads = 1);
  ~io_runtime();  // stops and joins
  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  void stop();  // idempotent
  traffic_totals traffic() const;  // any thread

  struct impl;
  impl& internals() { return *impl_; }  // for transport/ .cpp files only

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace clasp::transport
