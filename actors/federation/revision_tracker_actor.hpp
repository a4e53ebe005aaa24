// The revision tracker actor: decides what each federation link syncs and
// when. On connect it asks a link for the namespaces it leads to (since our
// watermark for what we synced from that router before, in full for what is
// new from it), once per run our own namespaces from the first neighbour, and
// every sync_interval what changed since the watermark (anti-entropy). The
// watermarks themselves are kept beside the table (federation::revision_tracker
// inside the store), because every SyncComplete updates them on the data plane.
// The federation manager spawns it linked and tells it each link's plan; a
// restarted tracker starts empty and resyncs every link in full.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/federation/federation_interfaces.hpp"

namespace caf {
class local_actor;
}

namespace clasp::actors {

// Spawned linked to `parent` (the manager): it ends with the manager, and the
// manager hears when it ends.
revision_tracker_actor spawn_revision_tracker(caf::local_actor* parent, state_store_actor store,
                                              std::vector<std::string> own_namespaces,
                                              std::uint32_t sync_interval_ms);

}  // namespace clasp::actors
