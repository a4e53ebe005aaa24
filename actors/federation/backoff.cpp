// Exponential backoff with bounded jitter.
#include "actors/federation/backoff.hpp"

#include <algorithm>

namespace clasp::federation {

std::chrono::milliseconds backoff_delay(const backoff_policy& policy, std::uint32_t attempt,
                                        double random01) {
  using ms = std::chrono::milliseconds;
  const auto cap = std::max(policy.cap.count(), policy.initial.count());
  double base = static_cast<double>(policy.initial.count());
  for (std::uint32_t i = 1; i < attempt && base < static_cast<double>(cap); ++i) base *= 2;
  base = std::min(base, static_cast<double>(cap));
  random01 = std::clamp(random01, 0.0, 0.999999);
  return ms(static_cast<ms::rep>(base * (1.0 + policy.jitter * random01)));
}

}  // namespace clasp::federation
