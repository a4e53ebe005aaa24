// In-process server + connector on 127.0.0.1: echo round trips (ws and wss),
// control frames, closes, HTTP, garbage input, slow readers, runtime stop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/support/test_ca.hpp"
#include "transport/connector.hpp"
#include "transport/server.hpp"
#include "transport/ws_frame.hpp"

namespace clasp::transport {
namespace {

using namespace std::chrono_literals;

// Blocks until `pred` holds or `limit` passes; returns pred().
template <class Pred>
bool wait_until(std::mutex& m, std::condition_variable& cv, Pred pred,
                std::chrono::milliseconds limit = 10s) {
  std::unique_lock<std::mutex> lock(m);
  return cv.wait_for(lock, limit, pred);
}

// Records what a connection delivers.
struct recorder : connection_handler {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> frames;
  std::size_t batches = 0;
  int closed_calls = 0;
  std::string reason;

  void on_frames(frame_batch batch) override {
    std::lock_guard<std::mutex> lock(m);
    ++batches;
    for (std::size_t i = 0; i < batch.size(); ++i) frames.emplace_back(batch.frame(i));
    cv.notify_all();
  }
  void on_closed(std::string why) override {
    std::lock_guard<std::mutex> lock(m);
    ++closed_calls;
    reason = std::move(why);
    cv.notify_all();
  }
  bool wait_frames(std::size_t n, std::chrono::milliseconds limit = 10s) {
    return wait_until(
        m, cv, [&] { return frames.size() >= n; }, limit);
  }
  bool wait_closed(std::chrono::milliseconds limit = 10s) {
    return wait_until(
        m, cv, [&] { return closed_calls > 0; }, limit);
  }
};

// Sends every frame back on the same connection.
struct echo : connection_handler {
  std::weak_ptr<connection> conn;
  std::shared_ptr<recorder> seen = std::make_shared<recorder>();
  void on_frames(frame_batch batch) override {
    auto c = conn.lock();
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (c) c->send(std::make_shared<const std::string>(batch.frame(i)));
    seen->on_frames(std::move(batch));
  }
  void on_closed(std::string why) override { seen->on_closed(std::move(why)); }
};

// Collects server-side connections for the test to inspect.
struct accepted {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<connection_ptr, std::shared_ptr<recorder>>> list;
  void add(connection_ptr c, std::shared_ptr<recorder> r) {
    std::lock_guard<std::mutex> lock(m);
    list.emplace_back(std::move(c), std::move(r));
    cv.notify_all();
  }
  bool wait(std::size_t n) {
    return wait_until(m, cv, [&] { return list.size() >= n; });
  }
};

accept_handler echo_acceptor(accepted& log) {
  return [&log](connection_ptr c) {
    auto handler = std::make_shared<echo>();
    handler->conn = c;
    log.add(c, handler->seen);
    c->start(handler);
  };
}

struct connect_result {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::string error;
  connection_ptr conn;
};

std::shared_ptr<connect_result> connect_and_wait(io_runtime& io, const std::string& url,
                                                 connect_options options = {}) {
  auto result = std::make_shared<connect_result>();
  connect(io, url, options, [result](std::string error, connection_ptr c) {
    std::lock_guard<std::mutex> lock(result->m);
    result->error = std::move(error);
    result->conn = std::move(c);
    result->done = true;
    result->cv.notify_all();
  });
  EXPECT_TRUE(wait_until(
      result->m, result->cv, [&] { return result->done; }, 15s));
  return result;
}

frame_ptr text(const std::string& s) { return std::make_shared<const std::string>(s); }

// A blocking TCP client for raw bytes.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~raw_client() { ::close(fd_); }
  bool connected() const { return connected_; }
  void set_receive_buffer(int bytes) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(std::size_t(n));
    }
  }
  // Reads until `done(received)` or EOF or the time limit; returns everything read.
  template <class Done>
  std::string read_until(Done done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done(received_) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      received_.append(buf, std::size_t(n));
    }
    return received_;
  }
  std::string read_to_eof() {
    return read_until([this](const std::string&) { return eof_; });
  }
  bool eof() const { return eof_; }
  // Sends a WebSocket upgrade and waits for the reply's end.
  std::string upgrade(const std::string& protocols = "clasp") {
    send(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: " +
        protocols + "\r\n\r\n");
    auto all =
        read_until([](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; });
    auto end = all.find("\r\n\r\n");
    std::string head = all.substr(0, end == std::string::npos ? all.size() : end + 4);
    received_.erase(0, head.size());
    return head;
  }
  std::string& received() { return received_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string received_;
};

// A plain listening socket on a free port; returns its ws:// URL.
std::string listen_locally(int& fd) {
  fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return "ws://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

server_config local_config() {
  server_config config;
  config.bind_address = "127.0.0.1";
  config.port = 0;
  return config;
}

TEST(transport, echo_round_trip_keeps_ten_thousand_frames_in_order) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  auto result = connect_and_wait(io, "ws://127.0.0.1:" + std::to_string(srv.port()) + "/");
  ASSERT_TRUE(result->conn) << result->error;
  auto client = std::make_shared<recorder>();
  result->conn->start(client);
  const std::size_t count = 10000;
  for (std::size_t i = 0; i < count; ++i) result->conn->send(text("frame-" + std::to_string(i)));
  ASSERT_TRUE(client->wait_frames(count));
  {
    std::lock_guard<std::mutex> lock(client->m);
    ASSERT_EQ(client->frames.size(), count);
    for (std::size_t i = 0; i < count; ++i)
      ASSERT_EQ(client->frames[i], "frame-" + std::to_string(i));
    // Batching: far fewer reads than frames.
    EXPECT_LT(client->batches, count);
  }
  ASSERT_TRUE(log.wait(1));
  // The server counts a frame as out when its write completes, which may be
  // just after the client has read it: wait (bounded) for the count.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  auto stats = log.list[0].first->stats();
  while (stats.frames_out < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
    stats = log.list[0].first->stats();
  }
  EXPECT_EQ(stats.frames_in, count);
  EXPECT_EQ(stats.frames_out, count);
  EXPECT_EQ(result->conn->stats().frames_out, count);
  EXPECT_NE(result->conn->remote_endpoint().find("127.0.0.1:"), std::string::npos);

  result->conn->close();
  ASSERT_TRUE(client->wait_closed());
  ASSERT_TRUE(log.list[0].second->wait_closed());
  EXPECT_EQ(client->reason, "closed locally (1000)");
  EXPECT_EQ(log.list[0].second->reason, "peer closed (1000)");
}

TEST(transport, large_messages_round_trip) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  auto result = connect_and_wait(io, "ws://127.0.0.1:" + std::to_string(srv.port()));
  ASSERT_TRUE(result->conn) << result->error;
  auto client = std::make_shared<recorder>();
  result->conn->start(client);
  const std::string big(1000 * 1000, 'B');
  result->conn->send(text(big));
  result->conn->send(text("after"));
  ASSERT_TRUE(client->wait_frames(2));
  EXPECT_EQ(client->frames[0], big);
  EXPECT_EQ(client->frames[1], "after");
}

TEST(transport, ping_gets_pong_and_subprotocol_is_echoed) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  raw_client raw(srv.port());
  ASSERT_TRUE(raw.connected());
  const std::string head = raw.upgrade("json, clasp");
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
  EXPECT_NE(head.find("Sec-WebSocket-Protocol: clasp"), std::string::npos);
  const std::uint8_t key[4] = {1, 2, 3, 4};
  std::string ping;
  append_ws_frame(ping, ws_opcode::ping, "are-you-there", key);
  raw.send(ping);
  auto got = raw.read_until([](const std::string& r) { return r.size() >= 15; });
  ASSERT_GE(got.size(), 15u);
  EXPECT_EQ(std::uint8_t(got[0]), 0x8A);
  EXPECT_EQ(std::uint8_t(got[1]), 13);
  EXPECT_EQ(got.substr(2, 13), "are-you-there");
}

TEST(transport, other_subprotocols_are_accepted_without_echo) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  raw_client raw(srv.port());
  const std::string head = raw.upgrade("json");
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_EQ(head.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST(transport, frames_sent_with_the_upgrade_request_are_not_lost) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  raw_client raw(srv.port());
  const std::uint8_t key[4] = {9, 8, 7, 6};
  std::string early;
  append_ws_frame(early, ws_opcode::binary, "early-bird", key);
  raw.send(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
      early);
  ASSERT_TRUE(log.wait(1));
  ASSERT_TRUE(log.list[0].second->wait_frames(1));
  EXPECT_EQ(log.list[0].second->frames[0], "early-bird");
}

TEST(transport, server_initiated_close_reaches_the_client) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  auto result = connect_and_wait(io, "ws://127.0.0.1:" + std::to_string(srv.port()));
  ASSERT_TRUE(result->conn) << result->error;
  auto client = std::make_shared<recorder>();
  result->conn->start(client);
  ASSERT_TRUE(log.wait(1));
  log.list[0].first->send(text("last words"));
  log.list[0].first->close(1001, "going away");
  ASSERT_TRUE(client->wait_closed());
  EXPECT_EQ(client->reason, "peer closed (1001): going away");
  EXPECT_EQ(client->frames, std::vector<std::string>{"last words"});
  ASSERT_TRUE(log.list[0].second->wait_closed());
  EXPECT_EQ(log.list[0].second->reason, "closed locally (1001): going away");
  // Exactly once, and sends after the close are ignored.
  log.list[0].first->send(text("too late"));
  log.list[0].first->abort();
  std::this_thread::yield();
  EXPECT_EQ(client->closed_calls, 1);
  EXPECT_EQ(log.list[0].second->closed_calls, 1);
}

TEST(transport, abort_closes_at_once) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  auto result = connect_and_wait(io, "ws://127.0.0.1:" + std::to_string(srv.port()));
  ASSERT_TRUE(result->conn) << result->error;
  auto client = std::make_shared<recorder>();
  result->conn->start(client);
  result->conn->abort();
  ASSERT_TRUE(client->wait_closed());
  EXPECT_EQ(client->reason, "aborted");
  ASSERT_TRUE(log.wait(1));
  ASSERT_TRUE(log.list[0].second->wait_closed());
}

TEST(transport, http_requests_go_to_the_http_handler) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  std::thread replier;
  server srv(
      io, local_config(), echo_acceptor(log),
      [&](const std::string& method, const std::string& target,
          std::function<void(http_response)> reply) {
        // Replies may come later from another thread.
        replier = std::thread([=] {
          reply(http_response{200, "application/json",
                              "{\"method\":\"" + method + "\",\"target\":\"" + target + "\"}"});
        });
      });
  raw_client raw(srv.port());
  raw.send("GET /status?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const std::string reply = raw.read_to_eof();
  replier.join();
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  const std::string body = "{\"method\":\"GET\",\"target\":\"/status?x=1\"}";
  EXPECT_NE(reply.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(reply.find("Content-Length: " + std::to_string(body.size())), std::string::npos);
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
  EXPECT_EQ(reply.substr(reply.size() - body.size()), body);
}

TEST(transport, garbage_gets_400_and_the_server_keeps_serving) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  {
    raw_client raw(srv.port());
    raw.send(std::string("\x16\x03\x01\x00garbage \x01\x02 nonsense\r\n\r\n", 28));
    const std::string reply = raw.read_to_eof();
    EXPECT_TRUE(reply.empty() || reply.rfind("HTTP/1.1 400", 0) == 0) << reply;
    EXPECT_TRUE(raw.eof());
  }
  {
    raw_client raw(srv.port());
    raw.send(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n");  // no key
    EXPECT_EQ(raw.read_to_eof().rfind("HTTP/1.1 400", 0), 0u);
  }
  {
    raw_client raw(srv.port());
    raw.upgrade();
    raw.send(std::string("\x82\x05hello", 7));  // unmasked client frame: protocol error
    auto got = raw.read_to_eof();
    ASSERT_GE(got.size(), 4u);
    EXPECT_EQ(std::uint8_t(got[0]), 0x88);
    EXPECT_EQ((std::uint8_t(got[2]) << 8) | std::uint8_t(got[3]), 1002);
  }
  auto result = connect_and_wait(io, "ws://127.0.0.1:" + std::to_string(srv.port()));
  ASSERT_TRUE(result->conn) << result->error;
  auto client = std::make_shared<recorder>();
  result->conn->start(client);
  result->conn->send(text("still alive"));
  ASSERT_TRUE(client->wait_frames(1));
}

TEST(transport, upgrade_refusals_and_odd_statuses_are_well_formed_http) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(
      io, local_config(), echo_acceptor(log),
      [](const std::string&, const std::string& target, std::function<void(http_response)> reply) {
        reply(http_response{target == "/odd" ? 299 : 4242, "text/plain", "x"});
      });
  {
    raw_client raw(srv.port());
    raw.send(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
    const std::string reply = raw.read_to_eof();
    EXPECT_EQ(reply.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u) << reply;
    EXPECT_NE(reply.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos) << reply;
    EXPECT_NE(reply.find("Content-Length: 26\r\n"), std::string::npos) << reply;
  }
  {
    raw_client raw(srv.port());
    raw.send("GET /odd HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(raw.read_to_eof().rfind("HTTP/1.1 299 ", 0), 0u);  // a code Beast has no name for
  }
  {
    raw_client raw(srv.port());
    raw.send("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(raw.read_to_eof().rfind("HTTP/1.1 500 ", 0), 0u);  // not a status at all
  }
  {
    raw_client raw(srv.port());
    const std::string head = raw.upgrade();
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  }
}

TEST(transport, traffic_totals_count_accepts_closes_refused_upgrades_and_bytes) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server srv(io, local_config(), echo_acceptor(log), nullptr);
  EXPECT_EQ(io.traffic().connections_accepted, 0u);
  const std::string refused_request =
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
  std::string refusal;
  {
    raw_client raw(srv.port());
    raw.send(refused_request);
    refusal = raw.read_to_eof();
    ASSERT_EQ(refusal.rfind("HTTP/1.1 426", 0), 0u) << refusal;
  }
  const std::string upgrade_request =
      "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: clasp\r\n\r\n";
  // A masked "hello" (mask 0: the payload reads as it is), then a masked close without a code.
  const std::string hello("\x82\x85\0\0\0\0hello", 11);
  const std::string close_frame("\x88\x80\0\0\0\0", 6);
  std::string echoed;
  {
    raw_client raw(srv.port());
    raw.send(upgrade_request);
    echoed = raw.read_until(
        [](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; });
    const auto head_end = echoed.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    raw.send(hello);
    raw.read_until([&](const std::string& r) { return r.size() >= head_end + 4 + 7; });
    raw.send(close_frame);
    echoed = raw.read_to_eof();  // the 101, the echo and the close echo (2 bytes)
    ASSERT_EQ(echoed.size(), head_end + 4 + 7 + 2) << echoed;
  }
  // The server counts a close before it closes the socket: the EOFs above saw both.
  const auto t = io.traffic();
  EXPECT_EQ(t.connections_accepted, 2u);
  EXPECT_EQ(t.connections_closed, 2u);
  EXPECT_EQ(t.upgrade_failures, 1u);
  EXPECT_EQ(t.bytes_received,
            refused_request.size() + upgrade_request.size() + hello.size() + close_frame.size());
  EXPECT_EQ(t.bytes_sent, refusal.size() + echoed.size());
}

TEST(transport, connect_errors_are_clear) {
  io_runtime io;
  auto refused = connect_and_wait(io, "ws://127.0.0.1:1/");
  EXPECT_FALSE(refused->conn);
  EXPECT_EQ(refused->error.rfind("connect to ws://127.0.0.1:1/: ", 0), 0u) << refused->error;
  EXPECT_NE(refused->error.find("refused"), std::string::npos) << refused->error;

  auto bad = connect_and_wait(io, "http://127.0.0.1/");
  EXPECT_NE(bad->error.find("not a ws://"), std::string::npos) << bad->error;

  // A listener that never answers: the TCP connect succeeds, the upgrade times out.
  int silent_listener = -1;
  const std::string silent_url = listen_locally(silent_listener);
  connect_options quick;
  quick.timeout = 300ms;
  auto silent = connect_and_wait(io, silent_url, quick);
  EXPECT_EQ(silent->error, "connect to " + silent_url + ": timeout after 300 ms");
  ::close(silent_listener);

  // A listener that refuses the upgrade with 404.
  int listener = -1;
  const std::string url = listen_locally(listener);
  std::thread refuser([listener] {
    int fd = ::accept(listener, nullptr, nullptr);
    char buf[2048];
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, std::size_t(n));
    }
    std::string reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n";
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(fd);
  });
  auto refused_upgrade = connect_and_wait(io, url);
  refuser.join();
  ::close(listener);
  EXPECT_EQ(refused_upgrade->error, "connect to " + url + ": upgrade refused: HTTP 404");
}

TEST(transport, slow_reader_hits_the_limits_and_memory_stays_bounded) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server_config config = local_config();
  config.limits.soft_bytes = 64 * 1024;
  config.limits.hard_bytes = 256 * 1024;
  server srv(io, config, echo_acceptor(log), nullptr);
  raw_client raw(srv.port());
  raw.set_receive_buffer(4096);
  ASSERT_EQ(raw.upgrade().rfind("HTTP/1.1 101", 0), 0u);
  ASSERT_TRUE(log.wait(1));
  auto conn = log.list[0].first;
  auto seen = log.list[0].second;
  const auto frame = text(std::string(1024, 'p'));
  std::size_t max_queued = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  // The client never reads: control frames pile up until the queue gives up.
  for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    conn->send(frame, send_class::control);
    max_queued = std::max(max_queued, conn->stats().bytes_queued);
    std::lock_guard<std::mutex> lock(seen->m);
    if (seen->closed_calls > 0) break;
    if (i % 256 == 0) std::this_thread::yield();
  }
  ASSERT_TRUE(seen->wait_closed());
  EXPECT_EQ(seen->reason, "outbound queue overflow");
  EXPECT_LE(max_queued, config.limits.hard_bytes + frame->size());
  EXPECT_EQ(conn->stats().bytes_queued, 0u);
}

TEST(transport, slow_reader_params_coalesce_and_streams_drop) {
  accepted log;  // outlives the runtime whose thread fills it
  io_runtime io;
  server_config config = local_config();
  config.limits.soft_bytes = 64 * 1024;
  config.limits.hard_bytes = 1 << 20;
  // Long enough that the stuck timer cannot close the connection while the
  // loop below counts coalesced and dropped frames on a loaded machine.
  config.limits.stuck_timeout = 1500ms;
  server srv(io, config, echo_acceptor(log), nullptr);
  raw_client raw(srv.port());
  raw.set_receive_buffer(4096);
  ASSERT_EQ(raw.upgrade().rfind("HTTP/1.1 101", 0), 0u);
  ASSERT_TRUE(log.wait(1));
  auto conn = log.list[0].first;
  auto seen = log.list[0].second;
  const auto frame = text(std::string(1024, 'q'));
  // Fill the kernel buffers, then the queue up to soft_bytes.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (conn->stats().bytes_queued < config.limits.soft_bytes &&
         std::chrono::steady_clock::now() < deadline)
    conn->send(frame, send_class::control);
  ASSERT_GE(conn->stats().bytes_queued, config.limits.soft_bytes);
  // Coalesce keys are views that must outlive the queued frame.
  static const std::string keys[] = {"/param/0", "/param/1", "/param/2", "/param/3"};
  for (int i = 0; i < 100; ++i) {
    conn->send(frame, send_class::param, keys[i % 4]);
    conn->send(frame, send_class::stream);
  }
  auto stats = conn->stats();
  // Exactly 96 and 100 when the socket takes nothing meanwhile; on a busy
  // machine a pending write may complete during the loop and let a few frames
  // queue fresh (after which coalescing resumes), so allow a small margin.
  EXPECT_GE(stats.frames_coalesced, 88u);
  EXPECT_LE(stats.frames_coalesced, 96u);
  EXPECT_GE(stats.frames_dropped, 88u);
  EXPECT_LE(stats.frames_dropped, 100u);
  EXPECT_LE(stats.bytes_queued, config.limits.hard_bytes);
  // Kept over soft for longer than stuck_timeout (the kernel may still absorb
  // some bytes, so top the queue up): the stuck timer closes the connection.
  while (!seen->wait_closed(20ms) && std::chrono::steady_clock::now() < deadline)
    while (conn->stats().bytes_queued < config.limits.soft_bytes &&
           std::chrono::steady_clock::now() < deadline)
      conn->send(frame, send_class::control);
  ASSERT_TRUE(seen->wait_closed());
  EXPECT_LE(conn->stats().frames_out * frame->size(), 64u << 20);
  EXPECT_EQ(seen->reason, "outbound queue overflow");
}

TEST(transport, runtime_stop_reports_every_open_connection_once) {
  accepted log;
  auto io = std::make_unique<io_runtime>();
  auto srv = std::make_unique<server>(*io, local_config(), echo_acceptor(log), nullptr);
  auto result = connect_and_wait(*io, "ws://127.0.0.1:" + std::to_string(srv->port()));
  ASSERT_TRUE(result->conn) << result->error;
  auto client = std::make_shared<recorder>();
  result->conn->start(client);
  ASSERT_TRUE(log.wait(1));
  srv.reset();
  io->stop();
  io->stop();  // idempotent
  EXPECT_EQ(client->closed_calls, 1);
  EXPECT_EQ(client->reason, "io runtime stopped");
  EXPECT_EQ(log.list[0].second->closed_calls, 1);
  result->conn->send(text("ignored"));
  result->conn->close();
  io.reset();
  result->conn.reset();  // the connection may outlive the runtime
  EXPECT_EQ(client->closed_calls, 1);
}

// A TLS echo server with a certificate from `ca` for `alt_names`.
struct tls_echo_server {
  tls_echo_server(io_runtime& io, test::test_ca& ca, const std::string& stem,
                  const std::vector<std::string>& alt_names) {
    auto files = ca.issue(stem, alt_names);
    EXPECT_FALSE(files.certificate.empty()) << ca.error();
    server_config config = local_config();
    config.tls = tls_files{files.certificate, files.key};
    srv = std::make_unique<server>(io, config, echo_acceptor(log), nullptr);
  }
  std::string url(const std::string& host) const {
    return "wss://" + host + ":" + std::to_string(srv->port()) + "/";
  }
  accepted log;
  std::unique_ptr<server> srv;
};

connect_options trusting(const test::test_ca& ca) {
  connect_options options;
  options.tls_ca_file = ca.certificate();
  options.timeout = 5000ms;
  return options;
}

// wss:// to a server whose certificate the given CA signed: by name and by address.
TEST(transport, wss_round_trip_with_a_certificate_from_the_trusted_ca) {
  test::test_ca ca;
  ASSERT_TRUE(ca.ok()) << ca.error();
  io_runtime io;
  tls_echo_server hub(io, ca, "hub", {"DNS:localhost", "IP:127.0.0.1"});
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    auto result = connect_and_wait(io, hub.url(host), trusting(ca));
    ASSERT_TRUE(result->conn) << host << ": " << result->error;
    auto client = std::make_shared<recorder>();
    result->conn->start(client);
    for (int i = 0; i < 1000; ++i) result->conn->send(text("secure-" + std::to_string(i)));
    ASSERT_TRUE(client->wait_frames(1000));
    EXPECT_EQ(client->frames[999], "secure-999");
    result->conn->close();
    ASSERT_TRUE(client->wait_closed());
  }
  // Plain ws:// to a TLS port fails cleanly.
  connect_options quick;
  quick.timeout = 2000ms;
  auto wrong = connect_and_wait(io, "ws://127.0.0.1:" + std::to_string(hub.srv->port()), quick);
  EXPECT_FALSE(wrong->conn);
}

// The refusal happens in the TLS handshake, so the server never sees an upgrade.
TEST(transport, wss_refuses_a_certificate_from_another_ca) {
  test::test_ca ca, other_ca("some other CA");
  ASSERT_TRUE(ca.ok() && other_ca.ok()) << ca.error() << other_ca.error();
  io_runtime io;
  tls_echo_server hub(io, ca, "hub", {"DNS:localhost", "IP:127.0.0.1"});
  auto result = connect_and_wait(io, hub.url("127.0.0.1"), trusting(other_ca));
  EXPECT_FALSE(result->conn);
  EXPECT_NE(result->error.find("TLS handshake: certificate of 127.0.0.1 not trusted: "
                               "unable to get local issuer certificate"),
            std::string::npos)
      << result->error;
  // The system store does not know the test CA either (the default).
  auto by_default = connect_and_wait(io, hub.url("localhost"));
  EXPECT_FALSE(by_default->conn);
  EXPECT_NE(by_default->error.find("not trusted"), std::string::npos) << by_default->error;
  std::lock_guard<std::mutex> lock(hub.log.m);
  EXPECT_TRUE(hub.log.list.empty()) << "a refused client completed the WebSocket upgrade";
}

TEST(transport, wss_refuses_a_certificate_for_another_host) {
  test::test_ca ca;
  ASSERT_TRUE(ca.ok()) << ca.error();
  io_runtime io;
  tls_echo_server hub(io, ca, "elsewhere", {"DNS:elsewhere.example", "IP:192.0.2.7"});
  auto by_address = connect_and_wait(io, hub.url("127.0.0.1"), trusting(ca));
  EXPECT_FALSE(by_address->conn);
  EXPECT_NE(by_address->error.find("not trusted: IP address mismatch"), std::string::npos)
      << by_address->error;
  auto by_name = connect_and_wait(io, hub.url("localhost"), trusting(ca));
  EXPECT_FALSE(by_name->conn);
  EXPECT_NE(by_name->error.find("not trusted: hostname mismatch"), std::string::npos)
      << by_name->error;
  std::lock_guard<std::mutex> lock(hub.log.m);
  EXPECT_TRUE(hub.log.list.empty());
}

TEST(transport, wss_without_verification_accepts_any_certificate) {
  test::test_ca ca, other_ca("some other CA");
  ASSERT_TRUE(ca.ok() && other_ca.ok());
  io_runtime io;
  tls_echo_server hub(io, ca, "elsewhere", {"DNS:elsewhere.example"});
  connect_options insecure = trusting(other_ca);
  insecure.verify_tls_peer = false;
  auto result = connect_and_wait(io, hub.url("127.0.0.1"), insecure);
  ASSERT_TRUE(result->conn) << result->error;
  result->conn->abort();
}

TEST(transport, unreadable_ca_file_is_a_clear_connect_error) {
  test::test_ca ca;
  ASSERT_TRUE(ca.ok());
  io_runtime io;
  tls_echo_server hub(io, ca, "hub", {"IP:127.0.0.1"});
  connect_options options;
  options.tls_ca_file = "no-such-ca.pem";
  auto result = connect_and_wait(io, hub.url("127.0.0.1"), options);
  EXPECT_FALSE(result->conn);
  EXPECT_NE(result->error.find("cannot load CA file 'no-such-ca.pem'"), std::string::npos)
      << result->error;
}

TEST(transport, bad_tls_files_and_busy_ports_throw_clear_errors) {
  io_runtime io;
  server_config config = local_config();
  config.tls = tls_files{"no-such-cert.pem", "no-such-key.pem"};
  EXPECT_THROW(server(io, config, nullptr, nullptr), std::runtime_error);
  server first(io, local_config(), nullptr, nullptr);
  server_config same = local_config();
  same.port = first.port();
  try {
    server second(io, same, nullptr, nullptr);
    ADD_FAILURE() << "binding a used port must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace clasp::transport
