// ws:// and wss:// URL parsing (see ws_url.hpp).
#include "transport/ws_url.hpp"

#include <cctype>

namespace clasp::transport {

std::optional<ws_url> parse_ws_url(const std::string& url) {
  ws_url out;
  std::string rest;
  auto starts = [&](const char* prefix) { return url.rfind(prefix, 0) == 0; };
  if (starts("wss://")) {
    out.tls = true;
    rest = url.substr(6);
  } else if (starts("ws://")) {
    rest = url.substr(5);
  } else {
    return std::nullopt;
  }
  const auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    out.target = rest.substr(slash);
    if (out.target[0] == '?') out.target.insert(0, "/");
  }
  out.host_header = authority;
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (port_text.empty()) {
    out.port = out.tls ? 443 : 80;
  } else {
    if (port_text.size() > 5) return std::nullopt;
    unsigned long port = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      port = port * 10 + unsigned(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

}  // namespace clasp::transport
