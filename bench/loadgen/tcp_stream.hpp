// A blocking TCP connection with an input buffer and an output buffer: the one
// socket type every benchmark client (WebSocket, NATS, MQTT) is built on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

class tcp_stream {
public:
  // Connects to host:port (numeric IPv4 or a resolvable name), TCP_NODELAY on.
  tcp_stream(const std::string& host, std::uint16_t port);
  ~tcp_stream();
  tcp_stream(const tcp_stream&) = delete;
  tcp_stream& operator=(const tcp_stream&) = delete;

  // Queues bytes; nothing reaches the socket before flush().
  void append(const void* data, std::size_t n);
  std::vector<std::uint8_t>& out() { return out_; }
  void flush();
  // Writes and then waits up to timeout_ms for at least one readable byte.
  // Returns the number of bytes added to the input buffer (0 on timeout);
  // throws std::runtime_error when the peer closed the connection.
  std::size_t fill(int timeout_ms);

  // Unconsumed input bytes.
  const std::uint8_t* data() const { return in_.data() + in_begin_; }
  std::size_t size() const { return in_end_ - in_begin_; }
  void consume(std::size_t n);

private:
  int fd_ = -1;
  std::vector<std::uint8_t> in_;
  std::size_t in_begin_ = 0;  // [in_begin_, in_end_) is unread input
  std::size_t in_end_ = 0;
  std::vector<std::uint8_t> out_;
};

// Splits "scheme://host:port/path" into its parts; the path defaults to "/".
struct url_parts {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
  std::string path = "/";
};
url_parts parse_url(const std::string& url, std::uint16_t default_port);

}  // namespace bench
