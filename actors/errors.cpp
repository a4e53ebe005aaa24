// Names and construction of the project's actor errors.
#include "actors/errors.hpp"

#include <caf/make_message.hpp>

namespace clasp::actors {

std::string to_string(ec code) {
  switch (code) {
    case ec::none: return "none";
    case ec::link_down: return "link_down";
    case ec::peer_silent: return "peer_silent";
    case ec::handshake_refused: return "handshake_refused";
    case ec::declaration_refused: return "declaration_refused";
    case ec::redundant_link: return "redundant_link";
    case ec::registry_unavailable: return "registry_unavailable";
    case ec::killed_by_admin: return "killed_by_admin";
    case ec::critical_actor_down: return "critical_actor_down";
  }
  return "unknown";
}

caf::error make_error(ec code, std::string context) {
  if (context.empty()) return caf::error{static_cast<std::uint8_t>(code), caf::atom("clasp")};
  return caf::error{static_cast<std::uint8_t>(code), caf::atom("clasp"), caf::make_message(std::move(context))};
}

bool is_error(const caf::error& err, ec code) {
  return err.category() == caf::atom("clasp") && err.code() == static_cast<std::uint8_t>(code);
}

}  // namespace clasp::actors
