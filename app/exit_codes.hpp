// Exit codes of the `clasp` client commands (documented in `clasp --help`).
#pragma once

namespace clasp::app::exit_code {

inline constexpr int ok = 0;
inline constexpr int failure = 1;      // anything else (e.g. the server could not start)
inline constexpr int usage = 2;        // bad command line or config file
inline constexpr int unreachable = 3;  // no connection, no handshake, or no answer in time
inline constexpr int refused = 4;      // the router answered with an ERROR (or HTTP error)
inline constexpr int not_found = 5;    // GET of an address the router does not hold

}  // namespace clasp::app::exit_code
