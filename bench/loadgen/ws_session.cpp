// WebSocket client framing (RFC 6455, client side) and CLASP frame unwrapping
// for the scenario client.
#include "ws_session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "clasp_wire.hpp"
#include "tcp_stream.hpp"

namespace bench {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

}  // namespace

ws_session::ws_session(const std::string& url, const std::string& name) : rng_(std::random_device{}()) {
  url_parts u = parse_url(url, 7330);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(u.port);
  if (inet_pton(AF_INET, u.host.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("numeric IPv4 host only: " + u.host);
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) fail("socket");
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fail("connect " + url);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  in_.resize(16 * 1024);

  std::uint8_t key[16];
  for (auto& b : key) b = static_cast<std::uint8_t>(rng_());
  std::string req = "GET " + u.path + " HTTP/1.1\r\nHost: " + u.host + ":" + std::to_string(u.port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + base64(key, 16) +
                    "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: clasp\r\n\r\n";
  out_.assign(req.begin(), req.end());
  flush();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    std::string head(reinterpret_cast<const char*>(in_.data() + in_begin_), in_end_ - in_begin_);
    auto end = head.find("\r\n\r\n");
    if (end != std::string::npos) {
      if (head.compare(0, 12, "HTTP/1.1 101") != 0)
        throw std::runtime_error("upgrade refused: " + head.substr(0, head.find("\r\n")));
      in_begin_ += end + 4;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no upgrade reply from " + url);
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      ssize_t n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
      if (n <= 0) throw std::runtime_error("closed during upgrade");
      in_end_ += static_cast<std::size_t>(n);
    }
  }
  queue(encode_hello(name), wire::qos_fire);
  flush();
  bool welcomed = false;
  while (!welcomed) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no WELCOME from " + url);
    pump(100, [&](const std::uint8_t* p, std::size_t n) { welcomed = welcomed || (n > 0 && p[0] == wire::welcome); });
  }
}

ws_session::~ws_session() {
  if (fd_ >= 0) ::close(fd_);
}

void ws_session::queue(const std::vector<std::uint8_t>& payload, std::uint8_t qos) {
  std::size_t ws_len = 4 + payload.size();
  out_.push_back(0x82);  // FIN + binary
  if (ws_len < 126) {
    out_.push_back(static_cast<std::uint8_t>(0x80 | ws_len));
  } else {
    out_.push_back(0x80 | 126);
    put_u16(out_, ws_len);
  }
  std::uint32_t mask_word = static_cast<std::uint32_t>(rng_());
  std::uint8_t mask[4];
  std::memcpy(mask, &mask_word, 4);
  out_.insert(out_.end(), mask, mask + 4);
  std::size_t start = out_.size();
  out_.push_back(0x53);  // 'S'
  out_.push_back(static_cast<std::uint8_t>((qos << 6) | 0x01));  // binary encoding v1
  put_u16(out_, payload.size());
  out_.insert(out_.end(), payload.begin(), payload.end());
  for (std::size_t i = start; i < out_.size(); ++i) out_[i] ^= mask[(i - start) & 3];
}

void ws_session::flush() {
  std::size_t done = 0;
  while (done < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    done += static_cast<std::size_t>(n);
  }
  out_.clear();
}

void ws_session::pump(int timeout_ms, const handler& h) {
  if (!out_.empty()) flush();
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, timeout_ms);
  if (rc < 0 && errno != EINTR) fail("poll");
  if (rc > 0) read_once(h);
}

void ws_session::read_ready(const handler& h) { read_once(h); }

void ws_session::read_once(const handler& h) {
  // Keep at least 16 KiB of room: compact first, grow only for a big message.
  if (in_.size() - in_end_ < 16 * 1024) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
    if (in_.size() - in_end_ < 16 * 1024) in_.resize(in_.size() * 2);
  }
  ssize_t n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, MSG_DONTWAIT);
  if (n == 0) throw std::runtime_error("connection closed by the router");
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    fail("recv");
  }
  in_end_ += static_cast<std::size_t>(n);
  bytes_in_ += static_cast<std::uint64_t>(n);
  parse(h);
}

void ws_session::parse(const handler& h) {
  for (;;) {
    const std::uint8_t* d = in_.data() + in_begin_;
    std::size_t n = in_end_ - in_begin_;
    if (n < 2) break;
    bool fin = d[0] & 0x80;
    std::uint8_t opcode = d[0] & 0x0F;
    std::size_t len = d[1] & 0x7F, pos = 2;
    if (len == 126) {
      if (n < 4) break;
      len = (std::size_t{d[2]} << 8) | d[3];
      pos = 4;
    } else if (len == 127) {
      if (n < 10) break;
      len = static_cast<std::size_t>(get_u64(d + 2));
      pos = 10;
    }
    if (n < pos + len) break;
    const std::uint8_t* body = d + pos;
    if (opcode == 0x9 && len < 126) {  // ping: answer with the same payload, masked with zeros
      out_.push_back(0x8A);
      out_.push_back(static_cast<std::uint8_t>(0x80 | len));
      out_.insert(out_.end(), 4, 0);
      out_.insert(out_.end(), body, body + len);
    } else if (opcode == 0x8) {
      throw std::runtime_error("router closed the WebSocket");
    } else if (opcode <= 0x2) {
      if (opcode != 0x0) partial_.clear();
      const std::uint8_t* msg = body;
      std::size_t msg_len = len;
      bool complete = fin && partial_.empty();
      if (!complete) {
        partial_.insert(partial_.end(), body, body + len);
        if (fin) {
          msg = partial_.data();
          msg_len = partial_.size();
          complete = true;
        }
      }
      // A WebSocket message holds one CLASP frame (tolerating several).
      while (complete && msg_len >= 4 && msg[0] == 0x53) {
        std::size_t header = (msg[1] & 0x20) ? 12 : 4;
        std::size_t clen = (std::size_t{msg[2]} << 8) | msg[3];
        if (msg_len < header + clen) break;
        h(msg + header, clen);
        msg += header + clen;
        msg_len -= header + clen;
      }
      if (fin) partial_.clear();
    }
    in_begin_ += pos + len;
  }
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  if (!out_.empty()) flush();
}

}  // namespace bench
