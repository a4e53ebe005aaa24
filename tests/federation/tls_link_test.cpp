// Federation over wss:// (FEDERATION.md guarantee 9) with verified TLS: a leaf
// links only to a hub whose certificate chains to the CA it trusts and names
// the host it dialled; a refused link never carries HELLO (and so the token).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/federation/fed_test.hpp"
#include "tests/support/test_ca.hpp"

namespace clasp::fedtest {
namespace {

using test::test_ca;

const std::string token = "tls-test-secret-token";

std::vector<std::string> wss_leaf_args(const std::string& hub_url, const std::string& ns,
                                       const std::string& id, std::vector<std::string> tls_flags) {
  std::vector<std::string> a{"--no-persistence",
                             "--federation-mode",
                             "leaf",
                             "--federation-hub",
                             hub_url,
                             "--federation-namespaces",
                             ns,
                             "--federation-id",
                             id,
                             "--federation-token",
                             token,
                             "--federation-reconnect-delay-ms",
                             "300"};
  a.insert(a.end(), tls_flags.begin(), tls_flags.end());
  return router_process::server_args(a);
}

std::string wss_url(const std::string& host, std::uint16_t port) {
  return "wss://" + host + ":" + std::to_string(port);
}

// The leaf's outbound entry for `url`, once it is Disconnected with an error
// containing `reason`; `last` keeps the listing for failure messages.
bool wait_refused(std::uint16_t leaf_port, const std::string& url, const std::string& reason,
                  std::string* last) {
  return wait_peers(
      leaf_port,
      [&](const json& peers) {
        if (!peers.is_array()) return false;
        for (const auto& p : peers)
          if (p.value("endpoint", std::string{}) == url &&
              p.value("state", std::string{}) == "Disconnected" &&
              p.value("last_error", std::string{}).find(reason) != std::string::npos)
            return true;
        return false;
      },
      converge_timeout, last);
}

// GET `path` from a router that serves HTTPS only; the body, empty on failure.
// The test's own hub is trusted as is: what is under test is the leaf's check.
std::string https_get(std::uint16_t port, const std::string& path) {
  std::string body;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval two_seconds{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
  SSL* ssl = ctx ? SSL_new(ctx) : nullptr;
  if (ssl && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (SSL_write(ssl, request.data(), int(request.size())) == int(request.size())) {
      std::string reply;
      char buf[4096];
      for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) reply.append(buf, std::size_t(n));
      if (reply.rfind("HTTP/1.1 200", 0) == 0)
        if (auto end = reply.find("\r\n\r\n"); end != std::string::npos)
          body = reply.substr(end + 4);
    }
  }
  if (ssl) SSL_free(ssl);
  ::close(fd);
  if (ctx) SSL_CTX_free(ctx);
  ERR_clear_error();
  return body;
}

// A hub that must never learn of a refused leaf.
void expect_no_peer_at(std::uint16_t hub_port) {
  const json peers = json::parse(https_get(hub_port, "/federation/peers"), nullptr, false);
  ASSERT_TRUE(peers.is_array()) << "no peer listing from the hub over https";
  EXPECT_TRUE(peers.empty()) << "the hub saw a HELLO from a leaf that refused its certificate: "
                             << peers.dump();
}

// A TLS listener that records every plaintext byte a client sends after the
// handshake: it shows whether anything (the upgrade, HELLO, the token) got through.
class tls_listener {
 public:
  tls_listener(const std::string& certificate, const std::string& key) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    ok_ = ctx_ && SSL_CTX_use_certificate_chain_file(ctx_, certificate.c_str()) == 1 &&
          SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) == 1;
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ok_ = ok_ && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
          ::listen(fd_, 8) == 0 &&
          ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    port_ = ntohs(addr.sin_port);
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~tls_listener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool ok() const { return ok_; }
  std::uint16_t port() const { return port_; }

  // Waits until `n` handshakes failed (true) or the time is up (false).
  bool wait_failed_handshakes(int n, millis limit = converge_timeout) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, limit, [&] { return failed_ >= n; });
  }
  bool wait_plaintext(millis limit = converge_timeout) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, limit, [&] { return !plaintext_.empty(); });
  }
  std::string plaintext() {
    std::lock_guard<std::mutex> lock(m_);
    return plaintext_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      timeval two_seconds{2, 0};  // a stalled client cannot hold the loop
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, client);
      if (SSL_accept(ssl) == 1) {
        char buf[4096];
        const int n =
            SSL_read(ssl, buf, sizeof buf);  // the upgrade request, if the client trusts us
        std::lock_guard<std::mutex> lock(m_);
        if (n > 0) plaintext_.append(buf, std::size_t(n));
      } else {
        std::lock_guard<std::mutex> lock(m_);
        ++failed_;
      }
      cv_.notify_all();
      SSL_free(ssl);
      ::close(client);
      ERR_clear_error();
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  int failed_ = 0;
  std::string plaintext_;
};

class tls_link : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ca_.ok()) << "could not make a test CA with the openssl command: " << ca_.error();
    ASSERT_TRUE(other_ca_.ok()) << other_ca_.error();
    hub_files_ = ca_.issue("hub", {"IP:127.0.0.1", "DNS:localhost"});
    ASSERT_FALSE(hub_files_.certificate.empty()) << ca_.error();
  }
  std::unique_ptr<router_process> start_hub(const test_ca::server_files& files) {
    return std::make_unique<router_process>(hub_args(
        "hub",
        {"--federation-token", token, "--tls-cert", files.certificate, "--tls-key", files.key}));
  }

  test_ca ca_{"clasp federation test CA"};
  test_ca other_ca_{"some other CA"};
  test_ca::server_files hub_files_;
};

TEST_F(tls_link, leaves_share_state_through_a_hub_whose_certificate_they_verify) {
  auto hub = start_hub(hub_files_);
  router_process a(wss_leaf_args(wss_url("127.0.0.1", hub->port()), "/site-a/**", "site-a",
                                 {"--federation-tls-ca", ca_.certificate()}));
  router_process b(wss_leaf_args(wss_url("localhost", hub->port()), "/site-b/**", "site-b",
                                 {"--federation-tls-ca", ca_.certificate()}));

  // The hub speaks TLS only, so each leaf's own (plain) peer table tells us the link is up.
  for (auto* leaf : {&a, &b}) {
    std::string last;
    EXPECT_TRUE(wait_peers(
        leaf->port(), [](const json& p) { return peer_active(p, "hub"); }, converge_timeout, &last))
        << "leaf never reached Active over verified wss://: " << last;
  }
  // The https listing that shows refused leaves are absent does show accepted ones.
  json hub_peers;
  const auto deadline = std::chrono::steady_clock::now() + converge_timeout;
  for (;; std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
    hub_peers = json::parse(https_get(hub->port(), "/federation/peers"), nullptr, false);
    if ((peer_active(hub_peers, "site-a") && peer_active(hub_peers, "site-b")) ||
        std::chrono::steady_clock::now() >= deadline)
      break;
  }
  EXPECT_TRUE(peer_active(hub_peers, "site-a") && peer_active(hub_peers, "site-b"))
      << hub_peers.dump();
  auto writer = client_at(a.port());
  auto reader = client_at(b.port());
  ASSERT_TRUE(writer && reader);
  set_ok(*writer, "/site-a/lights/1/brightness", value(0.7));
  EXPECT_TRUE(wait_value(*reader, "/site-a/lights/1/brightness", value(0.7), converge_timeout))
      << "a value written at site-a did not reach site-b over wss:// links";
  // And the other way, including a write into the other site's namespace.
  set_ok(*reader, "/site-a/scene", value("from-b"));
  EXPECT_TRUE(wait_value(*writer, "/site-a/scene", value("from-b"), converge_timeout));
}

TEST_F(tls_link, a_hub_certificate_from_another_ca_is_refused) {
  auto hub = start_hub(hub_files_);
  const std::string url = wss_url("127.0.0.1", hub->port());
  router_process leaf(
      wss_leaf_args(url, "/site-a/**", "site-a", {"--federation-tls-ca", other_ca_.certificate()}));
  std::string last;
  EXPECT_TRUE(
      wait_refused(leaf.port(), url, "not trusted: unable to get local issuer certificate", &last))
      << "the leaf did not report the untrusted hub: " << last;
  expect_no_peer_at(hub->port());
}

TEST_F(tls_link, the_system_store_is_the_default_and_does_not_know_a_private_ca) {
  auto hub = start_hub(hub_files_);
  const std::string url = wss_url("127.0.0.1", hub->port());
  router_process leaf(wss_leaf_args(url, "/site-a/**", "site-a", {}));
  std::string last;
  EXPECT_TRUE(wait_refused(leaf.port(), url, "not trusted", &last)) << last;
  expect_no_peer_at(hub->port());
}

TEST_F(tls_link, a_hub_certificate_for_another_host_is_refused) {
  auto elsewhere = ca_.issue("elsewhere", {"DNS:hub.elsewhere.example", "IP:192.0.2.7"});
  ASSERT_FALSE(elsewhere.certificate.empty()) << ca_.error();
  auto hub = start_hub(elsewhere);
  const std::string by_address = wss_url("127.0.0.1", hub->port());
  const std::string by_name = wss_url("localhost", hub->port());
  router_process a(wss_leaf_args(by_address, "/site-a/**", "site-a",
                                 {"--federation-tls-ca", ca_.certificate()}));
  router_process b(
      wss_leaf_args(by_name, "/site-b/**", "site-b", {"--federation-tls-ca", ca_.certificate()}));
  std::string last;
  EXPECT_TRUE(wait_refused(a.port(), by_address, "not trusted: IP address mismatch", &last))
      << last;
  EXPECT_TRUE(wait_refused(b.port(), by_name, "not trusted: hostname mismatch", &last)) << last;
  expect_no_peer_at(hub->port());
}

TEST_F(tls_link, insecure_links_connect_to_any_certificate_and_warn_at_start) {
  auto untrusted = other_ca_.issue("untrusted", {"DNS:hub.elsewhere.example"});
  ASSERT_FALSE(untrusted.certificate.empty()) << other_ca_.error();
  auto hub = start_hub(untrusted);
  router_process leaf(wss_leaf_args(wss_url("127.0.0.1", hub->port()), "/site-a/**", "site-a",
                                    {"--federation-tls-insecure"}));
  std::string last;
  EXPECT_TRUE(wait_peers(
      leaf.port(), [](const json& p) { return peer_active(p, "hub"); }, converge_timeout, &last))
      << last;
  EXPECT_NE(leaf.stderr_tail().find("--federation-tls-insecure"), std::string::npos)
      << "no warning at start: " << leaf.stderr_tail();
}

// Below the router: no plaintext byte leaves a leaf that refused the
// certificate, while a trusting leaf's first bytes (its upgrade) do arrive.
TEST_F(tls_link, a_refused_link_sends_nothing_after_the_handshake) {
  auto wrong_name = ca_.issue("wrong-name", {"DNS:hub.elsewhere.example"});
  ASSERT_FALSE(wrong_name.certificate.empty()) << ca_.error();
  {
    tls_listener listener(hub_files_.certificate, hub_files_.key);
    ASSERT_TRUE(listener.ok());
    router_process leaf(wss_leaf_args(wss_url("127.0.0.1", listener.port()), "/site-a/**", "site-a",
                                      {"--federation-tls-ca", other_ca_.certificate()}));
    EXPECT_TRUE(listener.wait_failed_handshakes(2)) << "the leaf did not try (and fail) twice";
    EXPECT_EQ(listener.plaintext(), "") << "an untrusting leaf sent data";
  }
  {
    tls_listener listener(wrong_name.certificate, wrong_name.key);
    ASSERT_TRUE(listener.ok());
    router_process leaf(wss_leaf_args(wss_url("127.0.0.1", listener.port()), "/site-a/**", "site-a",
                                      {"--federation-tls-ca", ca_.certificate()}));
    EXPECT_TRUE(listener.wait_failed_handshakes(2)) << "the leaf did not try (and fail) twice";
    EXPECT_EQ(listener.plaintext(), "") << "a leaf that found the wrong name sent data";
  }
  {  // The control: the same listener does see what a trusting leaf sends.
    tls_listener listener(hub_files_.certificate, hub_files_.key);
    ASSERT_TRUE(listener.ok());
    router_process leaf(wss_leaf_args(wss_url("127.0.0.1", listener.port()), "/site-a/**", "site-a",
                                      {"--federation-tls-ca", ca_.certificate()}));
    ASSERT_TRUE(listener.wait_plaintext());
    EXPECT_EQ(listener.plaintext().rfind("GET / HTTP/1.1\r\n", 0), 0u) << listener.plaintext();
  }
}

}  // namespace
}  // namespace clasp::fedtest
