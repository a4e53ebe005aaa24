// set_value / get_value over the command-line tools' blocking client session.
#include "clasp_federation/client.hpp"

#include <nlohmann/json.hpp>

#include "app/client_session.hpp"
#include "app/value_json.hpp"

namespace clasp_federation {

namespace {

using clock = std::chrono::steady_clock;
namespace msg = clasp::msg;

std::string open_error(clasp::app::client_session& s, const std::string& url,
                       const std::string& token) {
  std::string why;
  switch (s.open(url, token, why, clasp::app::client_session::tls_check{})) {
    case clasp::app::client_session::open_result::ok:
      return {};
    case clasp::app::client_session::open_result::refused:
      return url + " refused the session: " + why;
    case clasp::app::client_session::open_result::unreachable:
      break;
  }
  return "cannot reach a router at " + url + ": " + why;
}

std::string refusal(const msg::error& e) {
  return "refused by the router: ERROR " + std::to_string(static_cast<unsigned>(e.code)) + ": " +
         e.message;
}

std::chrono::milliseconds left(clock::time_point deadline) {
  auto rest = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return std::max(rest, std::chrono::milliseconds(0));
}

}  // namespace

result<std::uint64_t> set_value(const std::string& url, const std::string& address,
                                const std::string& value_json, std::chrono::milliseconds timeout,
                                const std::string& token) {
  using answer = result<std::uint64_t>;
  clasp::app::client_session s;
  if (auto why = open_error(s, url, token); !why.empty()) return answer::failure(why);
  msg::set m;
  m.address = address;
  m.val = clasp::app::value_from_text(value_json);
  s.send(m, clasp::codec::qos::confirm);
  const auto deadline = clock::now() + timeout;
  std::string why = "timeout";
  while (clock::now() < deadline) {
    auto reply = s.next(left(deadline), why);
    if (!reply) break;
    if (auto a = std::get_if<msg::ack>(&reply->body)) {
      if (a->address && *a->address != address) continue;
      return answer::success(a->revision.value_or(0));
    }
    if (auto e = std::get_if<msg::error>(&reply->body)) return answer::failure(refusal(*e));
  }
  return answer::failure("no answer from " + url + ": " + why);
}

result<std::string> get_value(const std::string& url, const std::string& address,
                              std::chrono::milliseconds timeout, const std::string& token) {
  using answer = result<std::string>;
  clasp::app::client_session s;
  if (auto why = open_error(s, url, token); !why.empty()) return answer::failure(why);
  s.send(msg::get{address});
  const auto deadline = clock::now() + timeout;
  std::string why = "timeout";
  while (clock::now() < deadline) {
    auto reply = s.next(left(deadline), why);
    if (!reply) break;
    if (auto snap = std::get_if<msg::snapshot>(&reply->body)) {
      for (const auto& p : snap->params)
        if (p.address == address) return answer::success(clasp::app::value_to_json(p.val).dump());
    }
    if (auto e = std::get_if<msg::error>(&reply->body)) {
      if (e->code == clasp::error_code::address_not_found)
        return answer::failure("not found: " + address);
      return answer::failure(refusal(*e));
    }
  }
  return answer::failure("no answer from " + url + ": " + why);
}

}  // namespace clasp_federation
