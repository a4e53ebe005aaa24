// One blocking CLASP client session for the command-line tools: connect,
// HELLO/WELCOME, send messages, wait (bounded) for the next one.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "messages/codec.hpp"
#include "messages/messages.hpp"

namespace clasp::app {

class client_session {
 public:
  client_session();
  ~client_session();
  client_session(const client_session&) = delete;
  client_session& operator=(const client_session&) = delete;

  enum class open_result { ok, unreachable, refused };
  // How a wss:// router's certificate is checked: against the system store or
  // `ca_file`, or not at all with `insecure` (labs, self-signed certificates).
  struct tls_check {
    std::string ca_file;
    bool insecure = false;
  };
  // Connects to `url` and completes the handshake; on failure `why` says what happened
  // (refused: the router sent an ERROR, e.g. a wrong token).
  open_result open(const std::string& url, const std::string& token, std::string& why,
                   const tls_check& tls);

  void send(const message& m, codec::qos quality = codec::qos::fire);

  // The next message; nullopt on timeout (why = "timeout") or when the connection ended.
  std::optional<message> next(std::chrono::milliseconds timeout, std::string& why);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace clasp::app
