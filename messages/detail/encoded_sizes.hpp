// Sizes of single entries inside a message, for the splitters that pack
// entries into messages under a byte limit.
#pragma once

#include <cstddef>
#include <string>

#include "messages/messages.hpp"

namespace clasp::codec::detail {

// Bytes one SNAPSHOT entry takes (address, typed value, revision, options).
std::size_t param_entry_size(const param_entry& p);

// Bytes one FEDERATION_SYNC revision entry takes (string + u64).
inline std::size_t revision_entry_size(const std::string& address) {
  return 2 + address.size() + 8;
}

// SNAPSHOT without entries: type byte + u16 count.
constexpr std::size_t empty_snapshot_size = 3;

// Largest element count a u16 count field can hold.
constexpr std::size_t max_count = 65535;

}  // namespace clasp::codec::detail
