// Message type codes and wire names, derived from the `message` variant.
#include "messages/messages.hpp"

namespace clasp {

message_type message::type() const {
  // Same order as message::variant_type.
  static constexpr message_type by_index[] = {
      message_type::hello,     message_type::welcome,
      message_type::announce,  message_type::federation_sync,
      message_type::subscribe, message_type::unsubscribe,
      message_type::publish,   message_type::set,
      message_type::get,       message_type::snapshot,
      message_type::replay,    message_type::bundle,
      message_type::sync,      message_type::ping,
      message_type::pong,      message_type::ack,
      message_type::error,     message_type::query,
      message_type::result};
  static_assert(sizeof(by_index) / sizeof(by_index[0]) == std::variant_size_v<variant_type>);
  return by_index[body.index()];
}

const char* to_string(message_type t) {
  switch (t) {
    case message_type::hello:
      return "HELLO";
    case message_type::welcome:
      return "WELCOME";
    case message_type::announce:
      return "ANNOUNCE";
    case message_type::federation_sync:
      return "FEDERATION_SYNC";
    case message_type::subscribe:
      return "SUBSCRIBE";
    case message_type::unsubscribe:
      return "UNSUBSCRIBE";
    case message_type::publish:
      return "PUBLISH";
    case message_type::set:
      return "SET";
    case message_type::get:
      return "GET";
    case message_type::snapshot:
      return "SNAPSHOT";
    case message_type::replay:
      return "REPLAY";
    case message_type::bundle:
      return "BUNDLE";
    case message_type::sync:
      return "SYNC";
    case message_type::ping:
      return "PING";
    case message_type::pong:
      return "PONG";
    case message_type::ack:
      return "ACK";
    case message_type::error:
      return "ERROR";
    case message_type::query:
      return "QUERY";
    case message_type::result:
      return "RESULT";
  }
  return "UNKNOWN";
}

}  // namespace clasp
