// The socket side (transport::connect) fills an inbox; the calling thread waits on it.
#include "app/client_session.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>

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
    closed_ = reason.empty() ? "connection closed" : reason;
    cv_.notify_all();
  }
  std::optional<message> next(std::chrono::milliseconds timeout, std::string& why) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (!cv_.wait_until(lock, deadline, [&] { return !frames_.empty() || !closed_.empty(); })) {
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

}  // namespace

struct client_session::impl {
  transport::io_runtime io{1};
  transport::connection_ptr conn;
  std::shared_ptr<inbox> in = std::make_shared<inbox>();
};

client_session::client_session() : impl_(std::make_unique<impl>()) {}

client_session::~client_session() {
  if (impl_->conn) impl_->conn->close();
}

client_session::open_result client_session::open(const std::string& url, const std::string& token,
                                                 std::string& why, const tls_check& tls) {
  std::promise<std::pair<std::string, transport::connection_ptr>> done;
  auto result = done.get_future();
  transport::connect_options options;
  options.verify_tls_peer = !tls.insecure;
  options.tls_ca_file = tls.ca_file;
  transport::connect(impl_->io, url, options, [&done](std::string error, transport::connection_ptr c) {
    done.set_value({std::move(error), std::move(c)});
  });
  auto [error, conn] = result.get();
  if (!conn) {
    why = error;
    return open_result::unreachable;
  }
  impl_->conn = std::move(conn);
  impl_->conn->start(impl_->in);
  msg::hello hello;
  hello.features = feature::param | feature::event | feature::stream;
  hello.name = "clasp-cli";
  hello.token = token;
  send(hello);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto m = next(std::max(left, std::chrono::milliseconds(0)), why);
    if (!m) {
      why = "no WELCOME (" + why + ")";
      return open_result::unreachable;
    }
    if (m->is<msg::welcome>()) return open_result::ok;
    if (auto e = std::get_if<msg::error>(&m->body)) {
      why = "ERROR " + std::to_string(e->code) + ": " + e->message;
      return open_result::refused;
    }
  }
}

void client_session::send(const message& m, codec::qos quality) {
  codec::encode_options opts;
  opts.quality = quality;
  if (auto f = codec::encode_frame(m, opts))
    impl_->conn->send(std::make_shared<const std::string>(std::move(*f)));
}

std::optional<message> client_session::next(std::chrono::milliseconds timeout, std::string& why) {
  return impl_->in->next(timeout, why);
}

}  // namespace clasp::app
