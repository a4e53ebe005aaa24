// Blocking TCP connection with explicit buffering, so clients batch their
// writes and read in large chunks (one syscall per many messages).
#include "tcp_stream.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bench {

namespace {
[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}
}  // namespace

tcp_stream::tcp_stream(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    throw std::runtime_error("cannot resolve " + host);
  fd_ = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd_ < 0) {
    freeaddrinfo(res);
    fail("socket");
  }
  int rc = ::connect(fd_, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) {
    ::close(fd_);
    fail("connect " + host + ":" + std::to_string(port));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  in_.resize(1 << 20);
  out_.reserve(1 << 16);
}

tcp_stream::~tcp_stream() {
  if (fd_ >= 0) ::close(fd_);
}

void tcp_stream::append(const void* data, std::size_t n) {
  auto p = static_cast<const std::uint8_t*>(data);
  out_.insert(out_.end(), p, p + n);
}

void tcp_stream::flush() {
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

std::size_t tcp_stream::fill(int timeout_ms) {
  if (!out_.empty()) flush();
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, timeout_ms);
  if (rc < 0 && errno != EINTR) fail("poll");
  if (rc <= 0) return 0;
  // Move unread bytes to the front when the tail is short; grow only when a
  // single unread message fills the whole buffer.
  if (in_.size() - in_end_ < 64 * 1024) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
    if (in_.size() - in_end_ < 64 * 1024) in_.resize(in_.size() * 2);
  }
  ssize_t n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
    if (n == 0) throw std::runtime_error("connection closed by peer");
    fail("recv");
  }
  in_end_ += static_cast<std::size_t>(n);
  return static_cast<std::size_t>(n);
}

void tcp_stream::consume(std::size_t n) {
  in_begin_ += n;
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
}

url_parts parse_url(const std::string& url, std::uint16_t default_port) {
  url_parts u;
  std::string rest = url;
  auto sep = rest.find("://");
  if (sep != std::string::npos) {
    u.scheme = rest.substr(0, sep);
    rest = rest.substr(sep + 3);
  }
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    u.path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  auto colon = rest.rfind(':');
  u.port = default_port;
  if (colon != std::string::npos) {
    u.port = static_cast<std::uint16_t>(std::stoi(rest.substr(colon + 1)));
    rest = rest.substr(0, colon);
  }
  u.host = rest.empty() ? "127.0.0.1" : rest;
  return u;
}

}  // namespace bench
