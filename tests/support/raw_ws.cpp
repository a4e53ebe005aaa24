// Raw-socket WebSocket pieces; see raw_ws.hpp.
#include "tests/support/raw_ws.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "messages/codec.hpp"

namespace clasp::test {

const std::string ws_upgrade_request =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: clasp\r\n\r\n";

std::string ws_client_frame(const std::string& payload) {
  std::string f;
  f += char(0x82);
  if (payload.size() < 126) {
    f += char(0x80 | payload.size());
  } else if (payload.size() < 65536) {
    f += char(0x80 | 126);
    f += char(payload.size() >> 8);
    f += char(payload.size() & 0xFF);
  } else {
    f += char(0x80 | 127);
    for (int i = 7; i >= 0; --i) f += char((std::uint64_t(payload.size()) >> (8 * i)) & 0xFF);
  }
  f += std::string(4, '\0');
  return f + payload;
}

std::string ws_client_message(const message& m) {
  auto frame = codec::encode_frame(m, {codec::qos::confirm, std::nullopt});
  return frame ? ws_client_frame(*frame) : std::string{};
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(std::size_t(n));
  }
  return true;
}

std::vector<std::string_view> server_frames_after_upgrade(const std::string& bytes) {
  std::vector<std::string_view> frames;
  auto at = bytes.find("\r\n\r\n");
  if (at == std::string::npos) return frames;
  at += 4;
  while (bytes.size() >= at + 2) {
    std::uint64_t length = std::uint8_t(bytes[at + 1]) & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (bytes.size() < at + 4) break;
      length = (std::uint64_t(std::uint8_t(bytes[at + 2])) << 8) | std::uint8_t(bytes[at + 3]);
      header = 4;
    } else if (length == 127) {
      if (bytes.size() < at + 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | std::uint8_t(bytes[at + 2 + i]);
      header = 10;
    }
    if (bytes.size() < at + header + length) break;
    frames.emplace_back(bytes.data() + at + header, std::size_t(length));
    at += header + std::size_t(length);
  }
  return frames;
}

latency_summary summarize(std::vector<double> ms) {
  latency_summary l;
  l.samples = ms.size();
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  l.p50_ms = ms[ms.size() / 2];
  l.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  l.max_ms = ms.back();
  return l;
}

}  // namespace clasp::test
