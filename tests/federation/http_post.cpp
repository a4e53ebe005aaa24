// Plain-socket HTTP/1.1 POST with Connection: close; reads until EOF.
#include "tests/federation/http_post.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace clasp::fedtest {

namespace {

// Closes the socket whatever path leaves the function.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

bool wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}

}  // namespace

post_result http_post(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  post_result r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  fd_guard s{::socket(AF_INET, SOCK_STREAM, 0)};
  if (s.fd < 0) {
    r.error = std::string("socket: ") + std::strerror(errno);
    return r;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    r.error = std::string("connect: ") + std::strerror(errno);
    return r;
  }
  const std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < req.size()) {
    if (!wait_fd(s.fd, POLLOUT, deadline)) {
      r.error = "timeout while sending";
      return r;
    }
    auto n = ::send(s.fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      r.error = std::string("send: ") + std::strerror(errno);
      return r;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[4096];
  for (;;) {
    // Stop once the declared body is complete, or at EOF.
    auto head_end = raw.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      auto cl = raw.find("Content-Length:");
      if (cl == std::string::npos) cl = raw.find("content-length:");
      if (cl != std::string::npos && cl < head_end) {
        auto len = std::stoul(raw.substr(cl + 15));
        if (raw.size() >= head_end + 4 + len) break;
      }
    }
    if (!wait_fd(s.fd, POLLIN, deadline)) {
      r.error = "timeout while reading the reply";
      return r;
    }
    auto n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0) {
      r.error = std::string("recv: ") + std::strerror(errno);
      return r;
    }
    if (n == 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) {
    r.error = "not an HTTP reply: " + raw.substr(0, 80);
    return r;
  }
  r.status = std::atoi(raw.c_str() + 9);
  auto head_end = raw.find("\r\n\r\n");
  if (head_end != std::string::npos) r.body = raw.substr(head_end + 4);
  return r;
}

}  // namespace clasp::fedtest
