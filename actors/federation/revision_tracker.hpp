// Per-peer sync watermarks (how far into each peer's change sequence we have
// synced) and the revision-vector comparison: which of a peer's entries we
// hold newer. Plain C++; the state store's router_core owns one instance.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/router/param_store.hpp"

namespace clasp::federation {

using router::change_seq_t;
using router::sync_mark;

class revision_tracker {
 public:
  // How far we last completed a sync from the peer, if we ever did.
  std::optional<sync_mark> watermark(const std::string& router_id) const;

  // The peer said SyncComplete(since_revision = mark.seq) from incarnation mark.incarnation.
  void record_sync(const std::string& router_id, sync_mark mark);

  // Loads watermarks a previous run saved; they are not "changed".
  void restore(std::map<std::string, sync_mark> saved);

  // While tracking, record_sync also remembers the peer as changed, so the
  // persistence batch carries only what moved.
  void track_changes(bool on) { track_ = on; }
  std::map<std::string, sync_mark> take_changed();

  const std::map<std::string, sync_mark>& watermarks() const { return marks_; }

  // --- Revision vectors ---------------------------------------------------

  // What a peer lacks, given its revision vector (address -> the revision it
  // holds) and `ours` (nullptr for addresses we do not have or must not send,
  // e.g. outside the link's interest).
  struct behind_peer {
    std::vector<param_entry> newer;                           // live values to send
    std::vector<std::pair<std::string, revision_t>> removed;  // tombstones to send
  };
  using record_lookup = std::function<const router::param_record*(const std::string& address)>;
  static behind_peer newer_than(const std::vector<std::pair<std::string, revision_t>>& theirs,
                                const record_lookup& ours);

 private:
  std::map<std::string, sync_mark> marks_;  // router id -> how far we synced from it
  std::map<std::string, sync_mark> changed_;
  bool track_ = false;
};

}  // namespace clasp::federation
