// The socket side of one WebSocket connection, as seen by the actors. No
// Asio or Beast types here: actors include this header only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clasp::transport {

// One encoded CLASP frame, encoded once and shared by every receiver.
using frame_ptr = std::shared_ptr<const std::string>;

// Frames read from the socket by one read: one actor message per read, not per frame.
struct frame_batch {
  std::string bytes;                                          // frames back to back
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;  // (offset, length) per frame
  std::size_t size() const { return spans.size(); }
  std::string_view frame(std::size_t i) const {
    return std::string_view(bytes).substr(spans[i].first, spans[i].second);
  }
};

// How the outbound queue may treat a frame when the peer is slow.
enum class send_class : std::uint8_t {
  control,  // never dropped or coalesced (ACK, ERROR, WELCOME, SNAPSHOT parts, ...)
  param,    // a param update: an older queued update with the same key may be replaced
  stream,   // a stream/gesture sample: may be dropped (and counted) under pressure
};

struct outbound_limits {
  // A subscriber keeping up with a 10,000-message window can hold ~1 MB in its
  // queue; coalescing (lossy for a reader counting updates) starts well above that.
  std::size_t soft_bytes = 4 << 20;   // above this: coalesce params, drop streams
  std::size_t hard_bytes = 32 << 20;  // above this even after coalescing: close the connection
  std::chrono::milliseconds stuck_timeout{10000};  // over soft_bytes this long: close
};

struct connection_stats {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t frames_coalesced = 0;
  std::uint64_t frames_dropped = 0;
  std::size_t bytes_queued = 0;
};

// Receives what the socket side reads. Called from the I/O thread; keep it short
// (typically one anon_send to an actor).
class connection_handler {
 public:
  virtual ~connection_handler() = default;
  virtual void on_frames(frame_batch batch) = 0;
  // Called exactly once, after which no more on_frames calls happen.
  virtual void on_closed(std::string reason) = 0;
};

// Thread-safe: any thread may call any member.
class connection {
 public:
  virtual ~connection() = default;

  // Installs the handler and starts reading. Call exactly once.
  virtual void start(std::shared_ptr<connection_handler> handler) = 0;

  // Queues one frame (one WebSocket binary message). Writes are batched: all
  // frames queued before the socket is ready go out in one write.
  // `coalesce_key` is not copied: it must stay valid as long as `frame` does
  // (the router passes a view of the address inside the frame's own bytes).
  virtual void send(frame_ptr frame, send_class cls = send_class::control,
                    std::string_view coalesce_key = {}) = 0;

  // Flushes what is queued, sends a close frame and closes the socket.
  virtual void close(std::uint16_t ws_code = 1000, std::string reason = {}) = 0;

  // Closes at once, dropping queued frames.
  virtual void abort() = 0;

  // Flow control of reads: after pause_reading() the connection finishes the
  // read it is handling and reads nothing more (TCP then holds the peer back)
  // until resume_reading(). Writes, pings already read and closes go on. The
  // default does nothing (connections that are never paused).
  virtual void pause_reading() {}
  virtual void resume_reading() {}

  virtual void set_limits(const outbound_limits& limits) = 0;
  virtual connection_stats stats() const = 0;
  virtual std::string remote_endpoint() const = 0;
};

using connection_ptr = std::shared_ptr<connection>;

}  // namespace clasp::transport
