// node_config (the embedding API's settings) -> app::server_options, checked by
// the same option table and rules as `clasp server`.
#pragma once

#include <optional>
#include <string>

#include "app/cli_options.hpp"
#include "clasp_federation/config.hpp"

namespace clasp_federation::detail {

// The options, or nullopt with `error` naming the setting that is wrong.
std::optional<clasp::app::server_options> server_options_from_config(const node_config& config,
                                                                     std::string& error);

}  // namespace clasp_federation::detail
