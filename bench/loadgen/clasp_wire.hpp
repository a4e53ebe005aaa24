// CLASP message encoders and a param walker for the scenario client: SET (f64 or
// bytes), GET, SUBSCRIBE, HELLO, and the (address, value) pairs of SET, SNAPSHOT
// and BUNDLE payloads. Self-contained so the benchmark builds while the router moves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

namespace wire {
constexpr std::uint8_t hello = 0x01, welcome = 0x02, subscribe_msg = 0x10, set = 0x21, get = 0x22,
                       snapshot = 0x23, bundle = 0x30, ack = 0x50, error = 0x51;
constexpr std::uint8_t type_f64 = 0x07, type_bytes = 0x09;
constexpr std::uint8_t qos_fire = 0, qos_confirm = 1;
}  // namespace wire

using bytes = std::vector<std::uint8_t>;

void put_u16(bytes& out, std::size_t v);
void put_u64(bytes& out, std::uint64_t v);
void put_string(bytes& out, const std::string& s);
std::uint64_t get_u64(const std::uint8_t* p);
// Base64 of n bytes (the WebSocket upgrade key).
std::string base64(const std::uint8_t* p, std::size_t n);

bytes encode_hello(const std::string& name);
bytes encode_set_f64(const std::string& address, double value);
bytes encode_set_bytes(const std::string& address, const std::uint8_t* data, std::size_t n);
bytes encode_get(const std::string& address);
bytes encode_subscribe(std::uint32_t id, const std::string& pattern);

// One param carried by a SET or a SNAPSHOT entry; value points into the payload.
struct param_view {
  const char* address;
  std::size_t address_len;
  std::uint8_t type;
  const std::uint8_t* value;
  std::size_t value_len;
};

// Calls fn for each param of a SET, SNAPSHOT or BUNDLE (recursively) payload.
// Returns false when the payload is malformed.
bool for_each_param(const std::uint8_t* p, std::size_t n, const std::function<void(const param_view&)>& fn);

// The f64 of a param (numeric types widened); false when it is not a number.
bool as_double(const param_view& v, double* out);

}  // namespace bench
