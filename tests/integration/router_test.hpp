// Shared fixture for router-core integration tests: one fresh `clasp server`
// per test on a free port, plus small wire-level helpers written from the spec.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/router_process.hpp"
#include "tests/support/wire_client.hpp"

namespace clasp::test {

class router_test : public ::testing::Test {
 protected:
  void SetUp() override;

  router_process& router() { return *router_; }
  // A connected client that has completed HELLO -> WELCOME.
  std::unique_ptr<wire_client> client(const std::string& name = "wire-test");
  // Connected, but no HELLO yet.
  std::unique_ptr<wire_client> raw_client();

  std::unique_ptr<router_process> router_;
};

// Message builders.
msg::set make_set(const std::string& address, value v);
msg::subscribe make_subscribe(std::uint32_t id, const std::string& pattern,
                              std::uint8_t types = type_mask::all);
msg::publish make_publish(signal_type type, const std::string& address, value v);

// Sends `s` with QoS confirm and returns the first ERROR or ACK naming its
// address (other frames, such as the writer's own fan-out, are skipped).
std::optional<message> set_reply(wire_client& c, const msg::set& s,
                                 millis timeout = default_timeout);
// A SET that must be acknowledged; returns the ACK's revision (0 on failure).
revision_t set_ok(wire_client& c, const std::string& address, value v);

// GET: the param from the SNAPSHOT reply, or the ERROR code via `error_code`.
std::optional<param_entry> get_param(wire_client& c, const std::string& address,
                                     std::uint16_t* error_code = nullptr);

// Sends `probe` from `writer` until `sub` sees a SET/PUBLISH/SNAPSHOT for
// `probe_address`: proves `sub`'s subscription is registered without sleeping.
bool await_live(wire_client& sub, wire_client& writer, const message& probe,
                const std::string& probe_address, millis timeout = default_timeout);

// The address a SET or PUBLISH is about (empty for other messages).
std::string address_of(const message& m);

// A frame built by hand: magic, `flags`, u16 length of `payload`, payload.
std::string raw_frame(const std::string& payload, std::uint8_t flags = 0x01);
// The payload encoding of `m`.
std::string payload_of(const message& m);

// Next frame must be an ERROR with one of `codes`, or the server closes the
// connection; fails the test otherwise. Returns the code (0 for a close).
std::uint16_t expect_error_or_close(wire_client& c, const std::set<std::uint16_t>& codes,
                                    millis timeout = default_timeout);

}  // namespace clasp::test
