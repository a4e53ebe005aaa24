// Federation over wss://: a hub serving TLS and two leaves linked to it with
// wss:// URLs share state exactly as over ws:// (FEDERATION.md guarantee 9).
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/federation/fed_test.hpp"

namespace clasp::fedtest {
namespace {

namespace fs = std::filesystem;

// A self-signed certificate made for this test with the openssl command.
class tls_files {
 public:
  tls_files() {
    char pattern[] = "/tmp/clasp-tls-XXXXXX";
    if (char* d = mkdtemp(pattern)) dir_ = d;
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout '" +
                            key_ + "' -out '" + cert_ + "' >/dev/null 2>&1";
    ok_ = !dir_.empty() && std::system(cmd.c_str()) == 0 && fs::exists(cert_) && fs::exists(key_);
  }
  ~tls_files() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  bool ok() const { return ok_; }
  const std::string& cert() const { return cert_; }
  const std::string& key() const { return key_; }

 private:
  std::string dir_, cert_, key_;
  bool ok_ = false;
};

std::vector<std::string> wss_leaf_args(std::uint16_t hub_port, const std::string& ns, const std::string& id) {
  return router_process::server_args({"--no-persistence", "--federation-mode", "leaf", "--federation-hub",
                                      "wss://127.0.0.1:" + std::to_string(hub_port),
                                      "--federation-namespaces", ns, "--federation-id", id,
                                      "--federation-reconnect-delay-ms", "200"});
}

TEST(tls_link, leaves_share_state_through_a_wss_hub) {
  tls_files tls;
  ASSERT_TRUE(tls.ok()) << "could not make a test certificate with the openssl command";
  router_process hub(hub_args("hub", {"--tls-cert", tls.cert(), "--tls-key", tls.key()}));
  router_process a(wss_leaf_args(hub.port(), "/site-a/**", "site-a"));
  router_process b(wss_leaf_args(hub.port(), "/site-b/**", "site-b"));

  // The hub speaks TLS only, so each leaf's own (plain) peer table tells us the link is up.
  for (auto* leaf : {&a, &b}) {
    std::string last;
    EXPECT_TRUE(wait_peers(leaf->port(), [](const json& p) { return peer_active(p, "hub"); },
                           converge_timeout, &last))
        << "leaf never reached Active over wss://: " << last;
  }
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

}  // namespace
}  // namespace clasp::fedtest
