// Minimal CLASP-over-WebSocket client: HTTP upgrade with subprotocol "clasp",
// masked binary frames, HELLO/WELCOME, SUBSCRIBE /site-a/**, SET (QoS fire) of
// a 32-byte bytes value to /site-a/bench/<k> (or PUBLISH of it as an event);
// reads SET, PUBLISH, SNAPSHOT and BUNDLE.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_client.hpp"
#include "clasp_wire.hpp"
#include "tcp_stream.hpp"

namespace bench {
namespace {

constexpr std::uint8_t msg_hello = 0x01, msg_welcome = 0x02, msg_subscribe = 0x10,
                       msg_publish = 0x20, msg_set = 0x21, msg_snapshot = 0x23, msg_bundle = 0x30,
                       msg_error = 0x51, type_bytes = 0x09;

// Bounds-checked big-endian reader over one CLASP payload.
struct reader {
  const std::uint8_t* p;
  std::size_t n;
  std::size_t pos = 0;
  bool ok = true;
  bool need(std::size_t k) { return ok = ok && pos + k <= n; }
  std::uint8_t u8() { return need(1) ? p[pos++] : 0; }
  std::size_t u16() {
    if (!need(2)) return 0;
    std::size_t v = (std::size_t{p[pos]} << 8) | p[pos + 1];
    pos += 2;
    return v;
  }
  void skip(std::size_t k) {
    if (need(k)) pos += k;
  }
};

// Skips one value of the given type code; for bytes, reports where they are.
void skip_value(reader& r, std::uint8_t type, const std::uint8_t** bytes, std::size_t* len) {
  static const std::size_t fixed[] = {0, 1, 1, 2, 4, 8, 4, 8};
  if (type < 8) {
    r.skip(fixed[type]);
  } else if (type == 0x08 || type == type_bytes) {
    std::size_t l = r.u16();
    if (type == type_bytes && bytes && r.need(l)) {
      *bytes = r.p + r.pos;
      *len = l;
    }
    r.skip(l);
  } else if (type == 0x0A) {
    for (std::size_t i = 0, c = r.u16(); i < c && r.ok; ++i) skip_value(r, r.u8(), nullptr, nullptr);
  } else if (type == 0x0B) {
    for (std::size_t i = 0, c = r.u16(); i < c && r.ok; ++i) {
      r.skip(r.u16());
      skip_value(r, r.u8(), nullptr, nullptr);
    }
  } else {
    r.ok = false;
  }
}

class clasp_client final : public bench_client {
public:
  clasp_client(const std::string& url, std::uint32_t keys, const std::string& name, bool events)
      : parts_(parse_url(url, 7330)), stream_(parts_.host, parts_.port), rng_(std::random_device{}()) {
    for (std::uint32_t k = 0; k < keys; ++k) {
      std::vector<std::uint8_t> body;
      if (events) {
        body.push_back(msg_publish);
        body.push_back(0x20);  // signal type event, no timestamp, no gesture
        put_string(body, "/site-a/bench/" + std::to_string(k));
        body.push_back(1);  // value indicator: one typed value
        body.push_back(type_bytes);
      } else {
        body.push_back(msg_set);
        body.push_back(type_bytes);  // no revision, no lock: flags = value type only
        put_string(body, "/site-a/bench/" + std::to_string(k));
      }
      put_u16(body, payload_size);
      set_prefixes_.push_back(std::move(body));
    }
    upgrade();
    std::vector<std::uint8_t> hello{msg_hello, 1, 0x80 | 0x40};  // version 1, param + event
    put_string(hello, name);
    put_u16(hello, 0);  // no token
    send_message(hello.data(), hello.size(), nullptr, 0);
    wait_for(msg_welcome, "WELCOME");
  }

  void subscribe_all() override {
    std::vector<std::uint8_t> sub{msg_subscribe, 0, 0, 0, 1};  // id 1
    put_string(sub, "/site-a/**");
    sub.push_back(0xFF);  // every signal type
    sub.push_back(0);     // no options
    send_message(sub.data(), sub.size(), nullptr, 0);
    stream_.flush();
  }

  void publish(std::uint32_t key, const payload_bytes& p) override {
    const auto& prefix = set_prefixes_[key];
    send_message(prefix.data(), prefix.size(), p.data(), p.size());
  }

  void flush() override { stream_.flush(); }

  void pump(int timeout_ms, const payload_sink& sink) override {
    stream_.fill(timeout_ms);
    read_frames(sink);
  }

private:
  void upgrade() {
    std::uint8_t key[16];
    for (auto& b : key) b = static_cast<std::uint8_t>(rng_());
    std::string req = "GET " + parts_.path + " HTTP/1.1\r\nHost: " + parts_.host + ":" +
                      std::to_string(parts_.port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                      base64(key, 16) +
                      "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: clasp\r\n\r\n";
    stream_.append(req.data(), req.size());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      std::string head(reinterpret_cast<const char*>(stream_.data()), stream_.size());
      auto end = head.find("\r\n\r\n");
      if (end != std::string::npos) {
        if (head.compare(0, 12, "HTTP/1.1 101") != 0)
          throw std::runtime_error("clasp: upgrade refused: " + head.substr(0, head.find("\r\n")));
        stream_.consume(end + 4);
        return;
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("clasp: no upgrade reply");
      stream_.fill(100);
    }
  }

  // One CLASP frame (QoS fire, no timestamp) of head+tail in one masked
  // binary WebSocket message.
  void send_message(const std::uint8_t* head, std::size_t head_n, const std::uint8_t* tail,
                    std::size_t tail_n) {
    std::size_t clasp_len = head_n + tail_n;
    std::size_t ws_len = 4 + clasp_len;
    auto& out = stream_.out();
    out.push_back(0x82);  // FIN + binary
    if (ws_len < 126) {
      out.push_back(static_cast<std::uint8_t>(0x80 | ws_len));
    } else {
      out.push_back(0x80 | 126);
      put_u16(out, ws_len);
    }
    std::uint32_t mask_word = rng_();
    std::uint8_t mask[4];
    std::memcpy(mask, &mask_word, 4);
    out.insert(out.end(), mask, mask + 4);
    std::size_t start = out.size();
    out.push_back(0x53);  // 'S'
    out.push_back(0x01);  // QoS fire, binary encoding v1
    put_u16(out, clasp_len);
    out.insert(out.end(), head, head + head_n);
    if (tail_n) out.insert(out.end(), tail, tail + tail_n);
    for (std::size_t i = start; i < out.size(); ++i) out[i] ^= mask[(i - start) & 3];
  }

  void wait_for(std::uint8_t type, const char* what) {
    wanted_ = type;
    seen_ = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (seen_ == 0) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error(std::string("clasp: no ") + what);
      stream_.fill(100);
      read_frames([](const std::uint8_t*, std::size_t) {});
    }
  }

  void read_frames(const payload_sink& sink) {
    for (;;) {
      const std::uint8_t* d = stream_.data();
      std::size_t n = stream_.size();
      if (n < 2) return;
      bool fin = d[0] & 0x80;
      std::uint8_t opcode = d[0] & 0x0F;
      std::size_t len = d[1] & 0x7F, pos = 2;
      if (len == 126) {
        if (n < 4) return;
        len = (std::size_t{d[2]} << 8) | d[3];
        pos = 4;
      } else if (len == 127) {
        if (n < 10) return;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | d[2 + i];
        pos = 10;
      }
      if (d[1] & 0x80) throw std::runtime_error("clasp: masked frame from server");
      if (n < pos + len) return;
      const std::uint8_t* body = d + pos;
      if (opcode == 0x9) {  // ping: answer with the same payload
        std::vector<std::uint8_t> pong{0x8A, static_cast<std::uint8_t>(0x80 | len), 0, 0, 0, 0};
        if (len < 126) {
          stream_.out().insert(stream_.out().end(), pong.begin(), pong.end());
          stream_.out().insert(stream_.out().end(), body, body + len);
          stream_.flush();
        }
      } else if (opcode == 0x8) {
        throw std::runtime_error("clasp: server closed the WebSocket");
      } else if (opcode == 0x0 || opcode == 0x2 || opcode == 0x1) {
        if (opcode != 0x0) partial_.clear();
        if (fin && partial_.empty()) {
          on_message(body, len, sink);
        } else {
          partial_.insert(partial_.end(), body, body + len);
          if (fin) {
            on_message(partial_.data(), partial_.size(), sink);
            partial_.clear();
          }
        }
      }
      stream_.consume(pos + len);
    }
  }

  // A WebSocket message holds one CLASP frame (tolerating several back to back).
  void on_message(const std::uint8_t* d, std::size_t n, const payload_sink& sink) {
    while (n >= 4 && d[0] == 0x53) {
      std::size_t header = (d[1] & 0x20) ? 12 : 4;
      std::size_t len = (std::size_t{d[2]} << 8) | d[3];
      if (n < header + len) return;
      on_payload(d + header, len, sink);
      d += header + len;
      n -= header + len;
    }
  }

  void on_payload(const std::uint8_t* p, std::size_t n, const payload_sink& sink) {
    if (n == 0) return;
    if (p[0] == wanted_) ++seen_;
    reader r{p, n, 1};
    const std::uint8_t* bytes = nullptr;
    std::size_t len = 0;
    switch (p[0]) {
      case msg_set: {
        std::uint8_t flags = r.u8();
        r.skip(r.u16());  // address
        skip_value(r, flags & 0x0F, &bytes, &len);
        if (r.ok && bytes) sink(bytes, len);
        break;
      }
      case msg_publish: {
        r.u8();           // flags
        r.skip(r.u16());  // address
        if (r.u8() == 1) skip_value(r, r.u8(), &bytes, &len);
        if (r.ok && bytes) sink(bytes, len);
        break;
      }
      case msg_snapshot: {
        for (std::size_t i = 0, c = r.u16(); i < c && r.ok; ++i) {
          r.skip(r.u16());  // address
          bytes = nullptr;
          skip_value(r, r.u8(), &bytes, &len);
          r.skip(8);  // revision
          std::uint8_t opt = r.u8();
          if (opt & 0x01) r.skip(r.u16());
          if (opt & 0x02) r.skip(8);
          if (r.ok && bytes) sink(bytes, len);
        }
        break;
      }
      case msg_bundle: {
        std::uint8_t flags = r.u8();
        std::size_t count = r.u16();
        if (flags & 0x80) r.skip(8);
        for (std::size_t i = 0; i < count && r.ok; ++i) {
          std::size_t l = r.u16();
          if (!r.need(l)) break;
          on_payload(p + r.pos, l, sink);
          r.pos += l;
        }
        break;
      }
      case msg_error: {
        std::size_t code = r.u16();
        std::size_t l = r.u16();
        std::string text = r.need(l) ? std::string(reinterpret_cast<const char*>(p + r.pos), l) : "";
        ++errors_;
        if (errors_ <= 3)
          std::fprintf(stderr, "clasp: ERROR %zu %s\n", code, text.c_str());
        break;
      }
      default:
        break;
    }
  }

  url_parts parts_;
  tcp_stream stream_;
  std::minstd_rand rng_;
  std::vector<std::vector<std::uint8_t>> set_prefixes_;
  std::vector<std::uint8_t> partial_;
  std::uint8_t wanted_ = 0;
  int seen_ = 0;
  int errors_ = 0;
};

}  // namespace

std::unique_ptr<bench_client> make_clasp_client(const std::string& url, std::uint32_t keys,
                                                const std::string& name, bool events) {
  return std::make_unique<clasp_client>(url, keys, name, events);
}

}  // namespace bench
