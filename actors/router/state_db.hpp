// The router's durable state in one SQLite file: params (with tombstones and
// TTLs), router id, change sequence, peer watermarks and peer namespaces.
// Plain C++: the state store actor owns one instance and batches writes into it.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/router/change_log.hpp"
#include "actors/router/param_store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace clasp::router {

struct persisted_state {
  std::string router_id;                 // empty if never saved
  change_seq_t change_seq = 0;           // highest change sequence written
  change_seq_t tombstone_horizon = 0;    // highest purged tombstone seq
  revision_t revision_floor = 0;  // first revision for a new address, at least (purges raise it)
  std::vector<std::pair<std::string, param_record>> params;  // live params and tombstones, by seq
  std::map<std::string, sync_mark> watermarks;               // peer router id -> how far we synced
  std::map<std::string, std::vector<std::string>> peer_namespaces;  // peers' declared namespaces
};

class state_db {
 public:
  // The schema this build writes; a file with a newer one is refused.
  static constexpr int schema_version = 2;  // 2: watermarks carry the peer's incarnation

  // Opens or creates the database (WAL, synchronous=NORMAL) and checks every
  // page (PRAGMA quick_check), then applies what its change log (`PATH.log.<n>`,
  // see change_log.hpp) holds beyond what the database has. Returns nullptr and
  // sets `error` on failure (unwritable path, corrupt file, another program's
  // database, newer schema, damaged change log).
  static std::unique_ptr<state_db> open(const std::string& path, std::string& error);
  ~state_db();
  state_db(const state_db&) = delete;
  state_db& operator=(const state_db&) = delete;

  // Everything, in one read transaction. Rows that no longer decode are
  // skipped (counted in skipped_rows()) rather than failing the whole load.
  // On a SQLite error `error` (if given) is set and what was read is returned;
  // it stays empty on success.
  persisted_state load(std::string* error = nullptr);
  std::size_t skipped_rows() const { return skipped_rows_; }

  // Written at once (rare; not worth batching). False on SQLite error.
  bool save_router_id(const std::string& id, std::string* error = nullptr);

  // Staged in memory, written by commit() in one transaction. Staging the same
  // key twice keeps only the latest. Lock holders are never persisted: locks
  // die with the sessions that took them.
  void stage_param(std::string address, param_record rec);
  void stage_watermark(const std::string& router_id, change_seq_t seq,
                       std::uint64_t incarnation = 0);
  void stage_peer_namespaces(const std::string& router_id, const std::vector<std::string>& patterns);
  // The row goes (a purged tombstone): deleted before the staged params are
  // written, so an address dropped and written again keeps its new row.
  void stage_erase(const std::string& address);
  // Raised only; written with the next commit.
  void stage_purge_marks(change_seq_t tombstone_horizon, revision_t revision_floor);

  // The fast path of the persistence actor: one batch appended to the change
  // log (one write(); it survives a crash of the process once this returns),
  // applied to the database later by apply_logged().
  bool log_batch(const std::vector<std::pair<std::string, param_record>>& params,
                 const std::vector<std::string>& erased,
                 const std::map<std::string, sync_mark>& watermarks,
                 change_seq_t tombstone_horizon, revision_t revision_floor,
                 std::string* error = nullptr);
  // Applies logged batches in order, about `max_rows` params (whole batches),
  // in one transaction that also records how far the log is applied. False on
  // SQLite error or a damaged record (`error` says which).
  bool apply_logged(std::size_t max_rows, std::string* error = nullptr);
  // Bytes of the change log the database has not applied yet.
  std::uint64_t log_backlog_bytes() const;
  std::size_t applied_rows() const { return applied_rows_; }

  // False on SQLite error; the staged changes are then kept for a retry.
  // A commit survives a crash of this process at once (it is in the OS), and
  // power loss once sync_to_disk() ran after it.
  bool commit(std::string* error = nullptr);
  // Syncs the change log, then checkpoints the WAL into the database file
  // (SQLite fsyncs the WAL first and the database after), so everything logged
  // or committed before is on disk; then deletes the log segments the database
  // holds on disk now.
  bool sync_to_disk(std::string* error = nullptr);
  std::size_t staged() const;
  // Params left out of commits because their value cannot be encoded in one
  // CLASP payload (larger than 64 KiB); they cannot arrive over the wire.
  std::size_t rejected_values() const { return rejected_values_; }

  // Deletes tombstones with seq < horizon (bounded growth), staged ones
  // included, and records the highest purged seq as persisted_state's
  // tombstone_horizon (as param_store does). False on SQLite error.
  bool purge_tombstones_before(change_seq_t horizon, std::string* error = nullptr);

  const std::string& path() const { return path_; }

 private:
  state_db(sqlite3* db, std::string path);
  bool prepare_statements(std::string& error);
  bool write_staged(std::string& error);
  bool exec(const char* sql, std::string* error);
  std::string describe_error(const char* what) const;

  sqlite3* db_ = nullptr;
  std::string path_;
  sqlite3_stmt* put_param_ = nullptr;
  sqlite3_stmt* put_watermark_ = nullptr;
  sqlite3_stmt* clear_namespaces_ = nullptr;
  sqlite3_stmt* put_namespace_ = nullptr;
  sqlite3_stmt* put_meta_ = nullptr;
  sqlite3_stmt* delete_param_ = nullptr;

  // Ordered: a commit writes neighbouring keys together, so SQLite touches
  // fewer B-tree pages than in hash order.
  std::map<std::string, param_record> staged_params_;
  std::map<std::string, sync_mark> staged_watermarks_;
  std::map<std::string, std::vector<std::string>> staged_namespaces_;
  std::vector<std::string> staged_erases_;
  change_seq_t staged_horizon_ = 0;
  revision_t staged_floor_ = 0;
  revision_t revision_floor_ = 0;  // as stored
  change_seq_t change_seq_ = 0;  // as stored; commit only raises it
  change_seq_t tombstone_horizon_ = 0;
  std::size_t skipped_rows_ = 0;
  std::size_t rejected_values_ = 0;
  std::string encode_buf_;  // reused across commits
  std::unique_ptr<change_log> log_;
  change_log::position log_read_;     // next record to stage from the log
  change_log::position log_applied_;  // as stored: the log is applied up to here
  change_log::position staged_log_;   // written with the next commit
  std::string log_buf_;
  std::size_t applied_rows_ = 0;
};

}  // namespace clasp::router
