// One WebSocket connection after the handshake: reads parse every frame of a
// socket read into one batch; writes frame everything queued into one socket write.
#include "transport/ws_connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context_strand.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <random>

#include "transport/outbound_queue.hpp"

namespace clasp::transport {
namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

constexpr std::size_t read_chunk = 64 * 1024;
// TLS hands over at most one record (16 KB of plaintext) per read.
constexpr std::size_t tls_read_chunk = 17 * 1024;
constexpr std::chrono::milliseconds close_timeout{3000};
// A peer that stopped reading will not read our close frame either.
constexpr std::chrono::milliseconds overflow_close_timeout{500};
constexpr std::size_t keep_write_capacity = 4 << 20;
constexpr std::size_t keep_idle_write_capacity = 2048;

tcp_socket& socket_of(tcp_socket& s) { return s; }
tcp_socket& socket_of(tls_stream& s) { return s.next_layer(); }

std::string endpoint_text(tcp_socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  auto address = ep.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(ep.port());
  return address.to_string() + ":" + std::to_string(ep.port());
}

std::string close_text(const char* who, std::uint16_t code, const std::string& reason) {
  std::string text = std::string(who) + " (" + std::to_string(code) + ")";
  if (!reason.empty()) text += ": " + reason;
  return text;
}

// Uses io_context::strand rather than asio::strand<>: its destructor does not
// touch the io_context, so an actor may drop its connection after the runtime is gone.
template <class Stream>
class ws_connection final : public connection,
                            public runtime_member,
                            public std::enable_shared_from_this<ws_connection<Stream>> {
 public:
  ws_connection(io_runtime::impl& runtime, std::unique_ptr<Stream> stream,
                std::shared_ptr<asio::ssl::context> tls_context, ws_role role,
                const outbound_limits& limits, std::string already_read)
      : runtime_(runtime),
        tls_context_(std::move(tls_context)),
        stream_(std::move(stream)),
        strand_(runtime.io),
        close_timer_(std::make_unique<asio::steady_timer>(runtime.io)),
        stuck_timer_(std::make_unique<asio::steady_timer>(runtime.io)),
        role_(role),
        reader_(role, max_ws_message_bytes),
        queue_(limits),
        remote_(endpoint_text(socket_of(*stream_))) {
    if (!already_read.empty()) reader_.feed(already_read);
    std::random_device rd;
    mask_state_ = (std::uint64_t(rd()) << 32) ^ rd() ^ 0x9E3779B97F4A7C15ull;
  }

  // --- connection ---------------------------------------------------------

  void start(std::shared_ptr<connection_handler> handler) override {
    std::string closed_before_start;
    {
      std::lock_guard<std::mutex> lock(report_mutex_);
      if (reported_) {
        closed_before_start = report_reason_;
      } else {
        handler_ = std::move(handler);
      }
    }
    if (handler) {  // still ours: the connection closed before start()
      handler->on_closed(std::move(closed_before_start));
      return;
    }
    if (!runtime_.add_member(this->shared_from_this())) {
      // Started after the runtime's stop: release the socket and timers now,
      // not when the last owner lets go (the io_context may be gone by then).
      on_runtime_stopped();
      return;
    }
    asio::post(strand_, [self = this->shared_from_this()] { self->begin_reading(); });
  }

  void send(frame_ptr frame, send_class cls, std::string_view coalesce_key) override {
    bool post_flush = false, arm_stuck = false, overflow = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!accepting_) return;
      if (queue_.push(std::move(frame), cls, coalesce_key) == outbound_queue::verdict::must_close) {
        accepting_ = false;
        queue_.clear();
        overflow = true;
      } else {
        if (!writing_) post_flush = writing_ = true;
        if (queue_.over_soft() && !stuck_armed_) arm_stuck = stuck_armed_ = true;
      }
    }
    if (!overflow && !post_flush && !arm_stuck) return;  // a flush is already on its way
    auto self = this->shared_from_this();
    if (overflow) {
      asio::post(strand_, [self] { self->overflow(); });
      return;
    }
    if (post_flush) asio::post(strand_, [self] { self->do_flush(); });
    if (arm_stuck) asio::post(strand_, [self] { self->arm_stuck_timer(); });
  }

  void close(std::uint16_t ws_code, std::string reason) override {
    if (runtime_gone_) return;
    asio::post(strand_, [self = this->shared_from_this(), ws_code, reason = std::move(reason)] {
      self->begin_close(ws_code, reason, close_text("closed locally", ws_code, reason), false);
    });
  }

  void abort() override {
    if (runtime_gone_) return;
    asio::post(strand_, [self = this->shared_from_this()] { self->finish("aborted"); });
  }

  void pause_reading() override { reads_paused_.store(true, std::memory_order_release); }

  void resume_reading() override {
    reads_paused_.store(false, std::memory_order_release);
    if (runtime_gone_) return;
    asio::post(strand_, [self = this->shared_from_this()] { self->unpark_reading(); });
  }

  void set_limits(const outbound_limits& limits) override {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.set_limits(limits);
  }

  connection_stats stats() const override {
    connection_stats s;
    s.frames_in = frames_in_.load(std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mutex_);
    s.frames_out = frames_out_;
    s.frames_coalesced = queue_.frames_coalesced();
    s.frames_dropped = queue_.frames_dropped();
    s.bytes_queued = queue_.bytes();
    return s;
  }

  std::string remote_endpoint() const override { return remote_; }

  // --- runtime_member -----------------------------------------------------

  // The runtime's threads are joined: nothing else touches this object now.
  void on_runtime_stopped() override {
    runtime_gone_ = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      accepting_ = false;
      queue_.clear();
      queue_.written();
    }
    if (state_ != state::closed) count_closed();
    state_ = state::closed;
    active_handler_.reset();
    // Destroy the I/O objects while their io_context still exists.
    error_code ec;
    socket_of(*stream_).close(ec);
    stream_.reset();
    close_timer_.reset();
    stuck_timer_.reset();
    report_closed("io runtime stopped");
  }

 private:
  enum class state : std::uint8_t { open, closing, closed };

  void begin_reading() {
    {
      std::lock_guard<std::mutex> lock(report_mutex_);
      if (reported_) return;
      active_handler_ = handler_;
    }
    if (state_ != state::open) return;
    if constexpr (std::is_same_v<Stream, tcp_socket>) {
      error_code ec;
      stream_->non_blocking(true, ec);  // on_readable reads without blocking
    }
    if (reader_.buffered() > 0) process_input();
    if (state_ != state::closed && !peer_closed_) read_on();
  }

  // The next read, unless the handler paused reading: then the read waits
  // (parked) for resume_reading().
  void read_on() {
    if (reads_paused_.load(std::memory_order_acquire)) {
      read_parked_ = true;
      return;
    }
    do_read();
  }

  void unpark_reading() {
    if (!read_parked_ || reads_paused_.load(std::memory_order_acquire)) return;
    read_parked_ = false;
    if (state_ != state::closed && !peer_closed_ && !protocol_failed_) do_read();
  }

  void do_read() {
    if constexpr (std::is_same_v<Stream, tcp_socket>) {
      // Wait for bytes without holding a buffer: an idle connection then costs
      // no read memory, and a busy one gets its buffer back on the next read.
      reader_.release_idle();
      stream_->async_wait(
          tcp_socket::wait_read,
          asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
            self->on_readable(ec);
          }));
    } else {
      // The TLS stream reads through OpenSSL's buffers, so readiness of the
      // socket says nothing; its read keeps a record-sized buffer.
      char* into = reader_.prepare(tls_read_chunk);
      stream_->async_read_some(asio::buffer(into, reader_.writable()),
                               asio::bind_executor(strand_, [self = this->shared_from_this()](
                                                                error_code ec, std::size_t n) {
                                 self->on_read(ec, n);
                               }));
    }
  }

  void on_readable(error_code ec) {
    if (state_ == state::closed) return;
    if (ec) return on_read(ec, 0);
    char* into = reader_.prepare(read_chunk);
    const std::size_t n = stream_->read_some(asio::buffer(into, reader_.writable()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return do_read();
    on_read(ec, n);
  }

  void on_read(error_code ec, std::size_t n) {
    if (state_ == state::closed) return;
    if (ec) {
      // Once closing, how the socket ends (EOF, reset) does not change why.
      if (state_ == state::closing)
        finish(close_reason_);
      else if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
        finish("peer closed the connection");
      else
        finish(ec.message());
      return;
    }
    traffic_counters::add(runtime_.traffic.bytes_received, n);
    reader_.commit(n);
    process_input();
    if (state_ != state::closed && !peer_closed_ && !protocol_failed_) read_on();
  }

  void process_input() {
    batch_.bytes.reserve(reader_.buffered());
    events_.pings.clear();
    reader_.parse(batch_, events_);
    if (!batch_.spans.empty()) {
      frames_in_.fetch_add(batch_.spans.size(), std::memory_order_relaxed);
      // After we started closing, data is no longer delivered.
      if (state_ == state::open && active_handler_) active_handler_->on_frames(std::move(batch_));
      batch_ = frame_batch{};
    }
    if (!events_.pings.empty() && state_ == state::open) {
      for (auto& payload : events_.pings) append_frame(control_out_, ws_opcode::pong, payload);
      request_flush();
    }
    if (events_.close_received) {
      peer_closed_ = true;
      if (state_ == state::open) {
        // Echo the peer's code; 1005 means "no code" and must not be sent.
        std::string reason = close_text("peer closed", events_.close_code, events_.close_reason);
        begin_close(events_.close_code, {}, reason, true);
      } else if (close_sent_) {
        finish(close_reason_);  // the closing handshake is complete
      }
    } else if (events_.failed()) {
      protocol_failed_ = true;
      begin_close(events_.error_code, events_.error, "protocol error: " + events_.error, true);
    }
  }

  // `drop_queued`: the peer closed or broke the protocol, queued data is pointless.
  void begin_close(std::uint16_t code, const std::string& reason, std::string report,
                   bool drop_queued, std::chrono::milliseconds timeout = close_timeout) {
    if (state_ != state::open) return;
    state_ = state::closing;
    close_reason_ = std::move(report);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      accepting_ = false;
      if (drop_queued) queue_.clear();
    }
    close_payload_ = code == 1005 ? std::string() : ws_close_payload(code, reason);
    close_wanted_ = true;
    close_timer_->expires_after(timeout);
    close_timer_->async_wait(
        asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
          if (!ec) self->finish(self->close_reason_);
        }));
    request_flush();
  }

  void overflow() {
    if (state_ != state::open) return;
    begin_close(1008, "outbound queue overflow", "outbound queue overflow", true,
                overflow_close_timeout);
  }

  void request_flush() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (writing_) return;
      writing_ = true;
    }
    asio::post(strand_, [self = this->shared_from_this()] { self->do_flush(); });
  }

  void do_flush() {
    if (state_ == state::closed || close_in_write_) return;
    write_buf_.clear();
    if (write_buf_.capacity() > keep_write_capacity) write_buf_.shrink_to_fit();
    write_buf_.swap(control_out_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.take(taking_);
      if (taking_.empty() && write_buf_.empty() && !close_wanted_) {
        writing_ = false;
        release_write_buffers();
        return;
      }
    }
    for (const auto& frame : taking_) append_frame(write_buf_, ws_opcode::binary, *frame);
    frames_in_write_ = taking_.size();
    taking_.clear();  // the frames are in write_buf_ now: release them early
    if (close_wanted_) {
      append_frame(write_buf_, ws_opcode::close, close_payload_);
      close_in_write_ = true;
    }
    asio::async_write(*stream_, asio::buffer(write_buf_),
                      asio::bind_executor(
                          strand_, [self = this->shared_from_this()](error_code ec, std::size_t n) {
                            traffic_counters::add(self->runtime_.traffic.bytes_sent, n);
                            self->on_write(ec);
                          }));
  }

  // Nothing left to write: give the buffers back (they grow again with the
  // next burst), so a connection that once sent much does not keep it.
  // Small ones stay: reallocating them after every reply would cost more than they hold.
  void release_write_buffers() {
    if (write_buf_.capacity() > keep_idle_write_capacity) std::string().swap(write_buf_);
    if (control_out_.capacity() > keep_idle_write_capacity) std::string().swap(control_out_);
    if (taking_.capacity() > 64) std::vector<frame_ptr>().swap(taking_);
  }

  void on_write(error_code ec) {
    if (state_ == state::closed) return;
    if (ec) {
      finish(state_ == state::closing ? close_reason_ : ec.message());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.written();
      frames_out_ += frames_in_write_;
    }
    frames_in_write_ = 0;
    if (close_in_write_) {
      close_sent_ = true;
      // Wait for the peer's close only when we started a clean close.
      if (peer_closed_ || protocol_failed_) finish(close_reason_);
      return;
    }
    do_flush();
  }

  void arm_stuck_timer() {
    if (state_ == state::closed) return;
    auto wait = queue_limits().stuck_timeout + std::chrono::milliseconds(1);
    stuck_timer_->expires_after(wait);
    stuck_timer_->async_wait(
        asio::bind_executor(strand_, [self = this->shared_from_this()](error_code ec) {
          if (ec || self->state_ == state::closed) return;
          bool must_close = false, still_over = false;
          {
            std::lock_guard<std::mutex> lock(self->mutex_);
            must_close = self->queue_.check() == outbound_queue::verdict::must_close;
            still_over = self->queue_.over_soft();
            self->stuck_armed_ = still_over && !must_close;
          }
          if (must_close) {
            {
              std::lock_guard<std::mutex> lock(self->mutex_);
              self->queue_.clear();
            }
            self->overflow();
          } else if (still_over) {
            self->arm_stuck_timer();
          }
        }));
  }

  outbound_limits queue_limits() {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.limits();
  }

  void finish(const std::string& reason) {
    if (state_ == state::closed) return;
    state_ = state::closed;
    count_closed();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      accepting_ = false;
      queue_.clear();
      queue_.written();  // nothing is in flight any more
    }
    error_code ec;
    close_timer_->cancel();
    stuck_timer_->cancel();
    socket_of(*stream_).shutdown(asio::socket_base::shutdown_both, ec);
    socket_of(*stream_).close(ec);
    active_handler_.reset();
    // Still a runtime member: should this connection outlive the runtime, the
    // runtime's stop releases its socket and timers while the io_context exists.
    report_closed(reason);
  }

  // The socket closes (once: state_ turned closed). Accepted sockets only: the
  // server counted them in; our own outbound links are not "accepted".
  void count_closed() {
    if (role_ == ws_role::server) traffic_counters::add(runtime_.traffic.closed, 1);
  }

  void report_closed(const std::string& reason) {
    std::shared_ptr<connection_handler> handler;
    {
      std::lock_guard<std::mutex> lock(report_mutex_);
      if (reported_) return;
      reported_ = true;
      report_reason_ = reason;
      handler = std::move(handler_);
    }
    if (handler) handler->on_closed(reason);
  }

  void append_frame(std::string& out, ws_opcode op, std::string_view payload) {
    if (role_ == ws_role::server) return append_ws_frame(out, op, payload);
    // xorshift64: masking only has to be unpredictable to the page script, not secret.
    mask_state_ ^= mask_state_ << 13;
    mask_state_ ^= mask_state_ >> 7;
    mask_state_ ^= mask_state_ << 17;
    std::uint8_t key[4];
    for (int i = 0; i < 4; ++i) key[i] = std::uint8_t(mask_state_ >> (8 * i));
    append_ws_frame(out, op, payload, key);
  }

  io_runtime::impl& runtime_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // outlives stream_
  std::unique_ptr<Stream> stream_;
  asio::io_context::strand strand_;
  std::unique_ptr<asio::steady_timer> close_timer_;
  std::unique_ptr<asio::steady_timer> stuck_timer_;
  const ws_role role_;
  std::atomic<bool> runtime_gone_{false};

  // Strand only.
  ws_frame_reader reader_;
  frame_batch batch_;
  ws_events events_;
  std::shared_ptr<connection_handler> active_handler_;
  std::string write_buf_;
  std::string control_out_;  // pongs waiting for the next write
  std::vector<frame_ptr> taking_;
  std::size_t frames_in_write_ = 0;
  state state_ = state::open;
  bool peer_closed_ = false;
  bool protocol_failed_ = false;
  bool close_wanted_ = false;
  bool close_in_write_ = false;
  bool close_sent_ = false;
  std::string close_payload_;
  std::string close_reason_;
  std::uint64_t mask_state_ = 0;
  bool read_parked_ = false;  // no read pending: reads were paused after the last one

  std::atomic<bool> reads_paused_{false};  // set by any thread (pause_reading)

  // Guarded by mutex_: touched by send() from any thread.
  mutable std::mutex mutex_;
  outbound_queue queue_;
  bool writing_ = false;  // a flush is posted or a write is in flight
  bool accepting_ = true;
  bool stuck_armed_ = false;
  std::uint64_t frames_out_ = 0;

  // Guarded by report_mutex_: on_closed exactly once.
  std::mutex report_mutex_;
  std::shared_ptr<connection_handler> handler_;
  bool reported_ = false;
  std::string report_reason_;

  std::atomic<std::uint64_t> frames_in_{0};
  const std::string remote_;
};

}  // namespace

connection_ptr make_ws_connection(io_runtime::impl& runtime, std::unique_ptr<tcp_socket> socket,
                                  ws_role role, const outbound_limits& limits,
                                  std::string already_read) {
  return std::make_shared<ws_connection<tcp_socket>>(runtime, std::move(socket), nullptr, role,
                                                     limits, std::move(already_read));
}

connection_ptr make_ws_connection(io_runtime::impl& runtime, std::unique_ptr<tls_stream> stream,
                                  std::shared_ptr<boost::asio::ssl::context> tls_context,
                                  ws_role role, const outbound_limits& limits,
                                  std::string already_read) {
  return std::make_shared<ws_connection<tls_stream>>(
      runtime, std::move(stream), std::move(tls_context), role, limits, std::move(already_read));
}

}  // namespace clasp::transport
