// Minimal MQTT 3.1.1 client (CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH QoS 0,
// PINGREQ/PINGRESP) publishing to site-a/bench/<k> and subscribing to site-a/#.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_client.hpp"
#include "tcp_stream.hpp"

namespace bench {
namespace {

void put_u16(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void put_string(std::vector<std::uint8_t>& out, const std::string& s) {
  put_u16(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// Fixed header: packet type byte and the variable-length "remaining length".
void put_header(std::vector<std::uint8_t>& out, std::uint8_t type, std::size_t remaining) {
  out.push_back(type);
  do {
    std::uint8_t b = remaining % 128;
    remaining /= 128;
    if (remaining > 0) b |= 0x80;
    out.push_back(b);
  } while (remaining > 0);
}

class mqtt_client final : public bench_client {
public:
  mqtt_client(const std::string& url, std::uint32_t keys, const std::string& name)
      : parts_(parse_url(url, 1883)), stream_(parts_.host, parts_.port) {
    for (std::uint32_t k = 0; k < keys; ++k) {
      std::string topic = "site-a/bench/" + std::to_string(k);
      std::vector<std::uint8_t> h;
      put_header(h, 0x30, 2 + topic.size() + payload_size);  // PUBLISH, QoS 0, no retain
      put_string(h, topic);
      pub_headers_.push_back(std::move(h));
    }
    std::vector<std::uint8_t> body;
    put_string(body, "MQTT");
    body.push_back(4);     // protocol level 3.1.1
    body.push_back(0x02);  // clean session
    put_u16(body, 0);      // keep-alive off: runs are short and both sides are local
    put_string(body, name);
    auto& out = stream_.out();
    put_header(out, 0x10, body.size());
    out.insert(out.end(), body.begin(), body.end());
    wait_for(0x20, "CONNACK");
  }

  void subscribe_all() override {
    std::vector<std::uint8_t> body;
    put_u16(body, 1);  // packet id
    put_string(body, "site-a/#");
    body.push_back(0);  // QoS 0
    auto& out = stream_.out();
    put_header(out, 0x82, body.size());
    out.insert(out.end(), body.begin(), body.end());
    wait_for(0x90, "SUBACK");
  }

  void publish(std::uint32_t key, const payload_bytes& p) override {
    auto& out = stream_.out();
    const auto& h = pub_headers_[key];
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), p.begin(), p.end());
  }

  void flush() override { stream_.flush(); }

  void pump(int timeout_ms, const payload_sink& sink) override {
    stream_.fill(timeout_ms);
    parse(sink);
  }

private:
  void wait_for(std::uint8_t type, const char* what) {
    seen_ = 0;
    wanted_ = type;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (seen_ == 0) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error(std::string("mqtt: no ") + what);
      stream_.fill(100);
      parse([](const std::uint8_t*, std::size_t) {});
    }
  }

  void parse(const payload_sink& sink) {
    for (;;) {
      const std::uint8_t* d = stream_.data();
      std::size_t n = stream_.size();
      if (n < 2) return;
      std::size_t remaining = 0, pos = 1, shift = 0;
      for (;;) {
        if (pos >= n) return;
        if (pos > 4) throw std::runtime_error("mqtt: bad remaining length");
        std::uint8_t b = d[pos++];
        remaining |= static_cast<std::size_t>(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
      }
      if (n < pos + remaining) return;
      std::uint8_t type = d[0] & 0xF0;
      const std::uint8_t* body = d + pos;
      if (type == 0x30) {
        std::size_t topic_len = (std::size_t{body[0]} << 8) | body[1];
        std::size_t skip = 2 + topic_len + (((d[0] >> 1) & 3) ? 2 : 0);  // packet id if QoS > 0
        if (skip <= remaining) sink(body + skip, remaining - skip);
      } else if (type == 0x20 && remaining >= 2 && body[1] != 0) {
        throw std::runtime_error("mqtt: connection refused, code " + std::to_string(body[1]));
      }
      if (type == wanted_) ++seen_;
      stream_.consume(pos + remaining);
    }
  }

  url_parts parts_;
  tcp_stream stream_;
  std::vector<std::vector<std::uint8_t>> pub_headers_;
  std::uint8_t wanted_ = 0;
  int seen_ = 0;
};

}  // namespace

std::unique_ptr<bench_client> make_mqtt_client(const std::string& url, std::uint32_t keys,
                                               const std::string& name) {
  return std::make_unique<mqtt_client>(url, keys, name);
}

}  // namespace bench
