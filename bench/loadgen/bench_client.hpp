// What the load generator needs from a messaging system: subscribe to every
// bench key, publish a payload to key k, and pump deliveries. One implementation
// per system (CLASP over WebSocket, NATS, MQTT 3.1.1), each a single socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "payload.hpp"

namespace bench {

using payload_sink = std::function<void(const std::uint8_t* data, std::size_t n)>;

class bench_client {
public:
  virtual ~bench_client() = default;
  // Subscribes to the site-a wildcard; returns once the server confirmed it
  // where the protocol has a confirmation (NATS PONG, MQTT SUBACK).
  virtual void subscribe_all() = 0;
  // Queues one message to key `key` (0 <= key < keys); sent by flush().
  virtual void publish(std::uint32_t key, const payload_bytes& p) = 0;
  virtual void flush() = 0;
  // Waits up to timeout_ms for input, hands each delivered payload to sink and
  // answers keep-alives. Throws std::runtime_error when the connection is lost.
  virtual void pump(int timeout_ms, const payload_sink& sink) = 0;
};

// system is "clasp", "nats" or "mqtt"; url is ws://, nats:// or mqtt://.
// A CLASP publisher sends SETs, or with `events` PUBLISH events of the same value.
std::unique_ptr<bench_client> make_clasp_client(const std::string& url, std::uint32_t keys,
                                                const std::string& name, bool events = false);
std::unique_ptr<bench_client> make_nats_client(const std::string& url, std::uint32_t keys,
                                               const std::string& name);
std::unique_ptr<bench_client> make_mqtt_client(const std::string& url, std::uint32_t keys,
                                               const std::string& name);

}  // namespace bench
