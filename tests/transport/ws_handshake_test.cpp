// Handshake helpers and URL parsing.
#include "transport/ws_handshake.hpp"
#include "transport/ws_url.hpp"

#include <gtest/gtest.h>

namespace clasp::transport {
namespace {

TEST(ws_handshake, accept_key_matches_rfc_6455_example) {
  EXPECT_EQ(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(ws_handshake, base64_pads) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(ws_random_key().size(), 24u);
  EXPECT_NE(ws_random_key(), ws_random_key());
}

TEST(ws_handshake, base64_of_binary_bytes) {
  EXPECT_EQ(base64_encode(std::string("\x00\xff\x10\x80", 4)), "AP8QgA==");
  EXPECT_EQ(base64_encode(std::string(16, '\xff')), "/////////////////////w==");
}

TEST(ws_handshake, header_tokens) {
  EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token("json, clasp", "clasp"));
  EXPECT_FALSE(header_has_token("claspx", "clasp"));
  EXPECT_FALSE(header_has_token("", "clasp"));
}

TEST(ws_url, parses_the_usual_forms) {
  auto a = parse_ws_url("ws://127.0.0.1:7330/");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 7330);
  EXPECT_EQ(a->target, "/");
  auto b = parse_ws_url("wss://example.org/clasp?x=1");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->target, "/clasp?x=1");
  EXPECT_EQ(b->host_header, "example.org");
  auto c = parse_ws_url("ws://[::1]:9000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 9000);
  EXPECT_FALSE(parse_ws_url("http://x/"));
  EXPECT_FALSE(parse_ws_url("ws://:80/"));
  EXPECT_FALSE(parse_ws_url("ws://host:99999/"));
  EXPECT_FALSE(parse_ws_url("ws://host:8a/"));
}

}  // namespace
}  // namespace clasp::transport
