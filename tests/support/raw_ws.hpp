// Raw-socket WebSocket pieces for hostile tests that need many cheap
// connections or byte-level control (half-sent upgrades, pipelined frames):
// a client frame, the upgrade request, blocking loopback sockets, and the
// server's frames parsed back out of what a socket received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/messages.hpp"

namespace clasp::test {

// The HTTP upgrade request for the CLASP subprotocol.
extern const std::string ws_upgrade_request;

// One WebSocket binary frame from a client, masked with the all-zero key
// (allowed, and the payload stays readable).
std::string ws_client_frame(const std::string& payload);
// `m` encoded as a CLASP frame inside a client WebSocket frame.
std::string ws_client_message(const message& m);

// A connected blocking TCP socket to 127.0.0.1:`port`, or -1.
int connect_loopback(std::uint16_t port);
bool send_all(int fd, std::string_view bytes);

// Payloads of the complete server (unmasked) frames after the 101 reply in
// `bytes`; empty while the reply is incomplete.
std::vector<std::string_view> server_frames_after_upgrade(const std::string& bytes);

// p50/p99/max of a set of round trips in milliseconds.
struct latency_summary {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  std::size_t samples = 0;
};
latency_summary summarize(std::vector<double> ms);

}  // namespace clasp::test
