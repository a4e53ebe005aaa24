// One CLASP session over WebSocket for the scenario client: blocking connect,
// upgrade and HELLO/WELCOME, then queued writes and readiness-driven reads, so
// one thread can serve a thousand of them with epoll (small buffers per socket).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace bench {

class ws_session {
public:
  using handler = std::function<void(const std::uint8_t* payload, std::size_t n)>;

  // Connects, upgrades with subprotocol "clasp", sends HELLO and waits (5 s)
  // for WELCOME. Throws std::runtime_error on failure.
  ws_session(const std::string& url, const std::string& name);
  ~ws_session();
  ws_session(const ws_session&) = delete;
  ws_session& operator=(const ws_session&) = delete;

  int fd() const { return fd_; }
  // Queues one CLASP message in its own masked binary WebSocket frame.
  void queue(const std::vector<std::uint8_t>& payload, std::uint8_t qos);
  std::size_t queued() const { return out_.size(); }
  // Writes every queued byte (blocking).
  void flush();
  // Waits up to timeout_ms for input, then reads once and hands each complete
  // CLASP payload to h (pings are answered). Throws when the peer closed.
  void pump(int timeout_ms, const handler& h);
  // Reads once without waiting (call when epoll reported the fd readable).
  void read_ready(const handler& h);
  std::uint64_t bytes_in() const { return bytes_in_; }

private:
  void read_once(const handler& h);
  void parse(const handler& h);

  int fd_ = -1;
  std::vector<std::uint8_t> in_;
  std::size_t in_begin_ = 0, in_end_ = 0;
  std::vector<std::uint8_t> out_;
  std::vector<std::uint8_t> partial_;
  std::minstd_rand rng_;
  std::uint64_t bytes_in_ = 0;
};

}  // namespace bench
