// Minimal NATS client (text protocol: INFO, CONNECT, PUB, SUB, MSG, PING/PONG)
// publishing to site-a.bench.<k> and subscribing to site-a.>.
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_client.hpp"
#include "tcp_stream.hpp"

namespace bench {
namespace {

class nats_client final : public bench_client {
public:
  nats_client(const std::string& url, std::uint32_t keys, const std::string& name)
      : parts_(parse_url(url, 4222)), stream_(parts_.host, parts_.port) {
    for (std::uint32_t k = 0; k < keys; ++k)
      pub_headers_.push_back("PUB site-a.bench." + std::to_string(k) + " " +
                             std::to_string(payload_size) + "\r\n");
    std::string connect = "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"" + name +
                          "\",\"lang\":\"cpp\",\"version\":\"0.1\",\"protocol\":1}\r\n";
    stream_.append(connect.data(), connect.size());
    round_trip();  // the server answers our PING only after accepting CONNECT
  }

  void subscribe_all() override {
    static const char sub[] = "SUB site-a.> 1\r\n";
    stream_.append(sub, sizeof sub - 1);
    round_trip();  // PONG after SUB: the subscription is registered
  }

  void publish(std::uint32_t key, const payload_bytes& p) override {
    const std::string& h = pub_headers_[key];
    auto& out = stream_.out();
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), p.begin(), p.end());
    out.push_back('\r');
    out.push_back('\n');
  }

  void flush() override { stream_.flush(); }

  void pump(int timeout_ms, const payload_sink& sink) override {
    stream_.fill(timeout_ms);
    parse(sink);
  }

private:
  // Sends PING and reads until its PONG (bounded to 5 s).
  void round_trip() {
    static const char ping[] = "PING\r\n";
    stream_.append(ping, sizeof ping - 1);
    pongs_ = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (pongs_ == 0) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("nats: no PONG from server");
      stream_.fill(100);
      parse([](const std::uint8_t*, std::size_t) {});
    }
  }

  void parse(const payload_sink& sink) {
    for (;;) {
      const char* d = reinterpret_cast<const char*>(stream_.data());
      std::size_t n = stream_.size();
      const void* nl = std::memchr(d, '\n', n);
      if (!nl) return;
      std::size_t line_len = static_cast<std::size_t>(static_cast<const char*>(nl) - d) + 1;
      if (line_len >= 4 && std::memcmp(d, "MSG ", 4) == 0) {
        // MSG <subject> <sid> [reply-to] <#bytes>\r\n<payload>\r\n
        std::size_t end = line_len - 2;  // before \r\n
        std::size_t sp = end;
        while (sp > 0 && d[sp - 1] != ' ') --sp;
        std::size_t bytes = std::stoul(std::string(d + sp, end - sp));
        if (n < line_len + bytes + 2) return;  // payload not complete yet
        sink(stream_.data() + line_len, bytes);
        stream_.consume(line_len + bytes + 2);
        continue;
      }
      if (line_len >= 4 && std::memcmp(d, "PING", 4) == 0) {
        static const char pong[] = "PONG\r\n";
        stream_.append(pong, sizeof pong - 1);
        stream_.flush();
      } else if (line_len >= 4 && std::memcmp(d, "PONG", 4) == 0) {
        ++pongs_;
      } else if (line_len >= 4 && std::memcmp(d, "-ERR", 4) == 0) {
        throw std::runtime_error("nats: " + std::string(d, line_len - 2));
      }
      // INFO and +OK need nothing.
      stream_.consume(line_len);
    }
  }

  url_parts parts_;
  tcp_stream stream_;
  std::vector<std::string> pub_headers_;
  int pongs_ = 0;
};

}  // namespace

std::unique_ptr<bench_client> make_nats_client(const std::string& url, std::uint32_t keys,
                                               const std::string& name) {
  return std::make_unique<nats_client>(url, keys, name);
}

}  // namespace bench
