// Binary CLASP codec: frame header + message payload, byte-compatible with
// @clasp-to/core. Decoding untrusted bytes never throws and never reads out of
// bounds; failures say which CLASP error code fits and what was wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/messages.hpp"

namespace clasp::codec {

constexpr std::uint8_t magic = 0x53;                 // 'S'
constexpr std::size_t max_payload = 65535;           // u16 length field
constexpr std::size_t header_size = 4;               // without timestamp
constexpr std::size_t header_size_with_timestamp = 12;
constexpr std::size_t max_nesting_depth = 32;        // arrays/maps/bundles inside each other

enum class qos : std::uint8_t { fire = 0, confirm = 1, commit = 2 };

struct frame_header {
  qos quality = qos::fire;
  bool encrypted = false;
  bool compressed = false;
  std::uint8_t version = 1;  // 1 = binary encoding, 0 = legacy MessagePack
  std::optional<std::uint64_t> timestamp;
};

struct decode_error {
  std::uint16_t code = error_code::invalid_frame;  // 100, 101 or 102
  std::string reason;                              // e.g. "SET: truncated at byte 7 (address)"
};

struct decoded_frame {
  frame_header header;
  message msg;
};

// Decodes one whole frame (one WebSocket message). Trailing bytes after the
// declared payload length are an error (100).
bool decode_frame(std::string_view bytes, decoded_frame& out, decode_error& err);

// Decodes one message payload (no frame header).
bool decode_message(std::string_view payload, message& out, decode_error& err);

// Reads only the frame header; on success `payload` views the payload bytes.
bool decode_header(std::string_view bytes, frame_header& out, std::string_view& payload,
                   decode_error& err);

// Appends the payload encoding of `m` to `out`. Never fails; the frame-level
// functions check the size limit.
void encode_message(const message& m, std::string& out);

// The payload size `m` would encode to (exact).
std::size_t encoded_size(const message& m);

struct encode_options {
  qos quality = qos::fire;
  std::optional<std::uint64_t> timestamp;
};

// Appends a whole frame. Returns false (and appends nothing) if the payload
// would exceed max_payload; `why` then says so.
bool encode_frame(const message& m, const encode_options& opts, std::string& out,
                  std::string* why = nullptr);

// A SET frame straight from its parts (the router's fan-out path: nothing is
// copied into a message first). Same bytes as encode_frame(msg::set{...}).
// The address starts at byte 8 of the frame when there is no timestamp.
bool encode_set_frame(std::string_view address, const value& v, std::optional<revision_t> revision,
                      const encode_options& opts, std::string& out);

// A PUBLISH frame carrying `event` as its event id whatever `m.event` holds
// (std::nullopt: none, the frame a client gets). False if too large.
bool encode_publish_frame(const msg::publish& m, const std::optional<event_id>& event,
                          const encode_options& opts, std::string& out);

// Convenience: a frame in a fresh string, or std::nullopt when too large.
std::optional<std::string> encode_frame(const message& m, const encode_options& opts = {});

// The QoS the reference client uses for a message (SET confirm, BUNDLE commit, ...).
qos default_qos(const message& m);

// Splitters for senders of large data: each returned message encodes to at
// most `limit` payload bytes. A single entry too large to ever fit is skipped
// and reported through `oversized` (if given).
std::vector<msg::snapshot> split_snapshot(std::vector<param_entry> params,
                                          std::size_t limit = max_payload,
                                          std::vector<std::string>* oversized = nullptr);

// Splits a revision vector into FEDERATION_SYNC(RevisionVector) messages that
// each fit `limit` and hold at most `max_entries` revisions; every part
// carries the same patterns, origin and since_revision as `proto`.
std::vector<msg::federation_sync> split_revision_vector(
    const msg::federation_sync& proto, std::vector<std::pair<std::string, revision_t>> revisions,
    std::size_t limit = max_payload, std::size_t max_entries = 10000);

}  // namespace clasp::codec
