// The version `clasp --version` and GET /status report.
#pragma once

namespace clasp::app {

inline constexpr const char* clasp_version = "0.1.0";

}  // namespace clasp::app
