// Pieces of the RFC 6455 opening handshake that need no socket: the accept key
// and header token matching. Shared by the server and the connector.
#pragma once

#include <string>
#include <string_view>

namespace clasp::transport {

// base64(SHA-1(key + RFC 6455 GUID)), the Sec-WebSocket-Accept value.
std::string ws_accept_key(std::string_view client_key);

// A fresh random Sec-WebSocket-Key (base64 of 16 random bytes).
std::string ws_random_key();

std::string base64_encode(std::string_view bytes);

// True when a comma-separated header value (e.g. "Upgrade, keep-alive") holds
// `token`, compared without regard to case.
bool header_has_token(std::string_view header_value, std::string_view token);

}  // namespace clasp::transport
