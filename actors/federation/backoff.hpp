// Reconnect delays: exponential from reconnect_delay, capped, with jitter so
// many leaves that lost the same hub do not reconnect in lockstep.
#pragma once

#include <chrono>
#include <cstdint>

namespace clasp::federation {

struct backoff_policy {
  std::chrono::milliseconds initial{5000};
  std::chrono::milliseconds cap{60000};
  double jitter = 0.25;  // up to +25% on top of the exponential delay
};

// Delay before reconnect attempt `attempt` (1-based); `random01` in [0, 1).
// attempt 1 waits between initial and initial*(1+jitter); each further attempt doubles,
// never beyond cap*(1+jitter).
std::chrono::milliseconds backoff_delay(const backoff_policy& policy, std::uint32_t attempt,
                                        double random01);

}  // namespace clasp::federation
