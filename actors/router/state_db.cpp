// SQLite persistence of the router state: schema, batched upserts in one
// transaction per commit, and the load on start-up.
#include "actors/router/state_db.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "messages/codec.hpp"

namespace clasp::router {

namespace {

// SQLite integers are signed 64-bit; our sequences and times are unsigned.
// The cast round-trips every bit, and ordering stays right below 2^63.
sqlite3_int64 to_db(std::uint64_t v) { return static_cast<sqlite3_int64>(v); }
std::uint64_t from_db(sqlite3_int64 v) { return static_cast<std::uint64_t>(v); }

const char* const schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value ANY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS params(
  address TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  revision INTEGER NOT NULL,
  writer TEXT NOT NULL,
  timestamp_us INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  tombstone INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL,
  sliding_ttl_s INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS params_tombstones_by_seq ON params(seq) WHERE tombstone = 1;
CREATE TABLE IF NOT EXISTS watermarks(
  router_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  incarnation INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS peer_namespaces(
  router_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  pattern TEXT NOT NULL,
  PRIMARY KEY(router_id, position)
) WITHOUT ROWID;
)sql";

// Finalizes a statement when it leaves scope (load and open use one-offs).
struct statement {
  sqlite3_stmt* stmt = nullptr;
  ~statement() { sqlite3_finalize(stmt); }
};

std::string column_text(sqlite3_stmt* s, int col) {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col))) : std::string();
}

std::string_view column_blob(sqlite3_stmt* s, int col) {
  auto* p = static_cast<const char*>(sqlite3_column_blob(s, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col)))
           : std::string_view();
}

void bind_text(sqlite3_stmt* s, int col, const std::string& text) {
  sqlite3_bind_text(s, col, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// A value is stored as the payload of a SET with an empty address: the wire
// codec already round-trips every value type exactly.
void encode_value(const value& v, std::string& out) {
  out.clear();
  msg::set carrier;
  carrier.val = v;
  codec::encode_message(message{std::move(carrier)}, out);
}

bool decode_value(std::string_view bytes, value& out) {
  message m;
  codec::decode_error err;
  if (!codec::decode_message(bytes, m, err) || !m.is<msg::set>()) return false;
  out = std::move(m.as<msg::set>().val);
  return true;
}

// The change log's record of one batch (little-endian, strings as u32 length
// + bytes). Version 1.
constexpr std::uint8_t log_record_version = 1;

void put_u(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void put_str(std::string& out, std::string_view text) {
  put_u(out, text.size(), 4);
  out.append(text.data(), text.size());
}

// Reads a log record; every read is bounds-checked (false = malformed).
struct record_reader {
  std::string_view in;
  bool ok = true;
  std::uint64_t u(int bytes) {
    if (in.size() < static_cast<std::size_t>(bytes)) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
    in.remove_prefix(static_cast<std::size_t>(bytes));
    return v;
  }
  std::string_view str() {
    const auto len = static_cast<std::size_t>(u(4));
    if (!ok || in.size() < len) {
      ok = false;
      return {};
    }
    auto out = in.substr(0, len);
    in.remove_prefix(len);
    return out;
  }
};

// SQLite's message plus what it means for an operator. (The OS errno is not
// added: SQLite retries read-only after EACCES, so it is often a misleading ENOENT.)
std::string open_failure(sqlite3* db, int rc) {
  std::string text = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    return text + " (the file is corrupt or not a router state database)";
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM)
    text += "; check that the directory exists and is writable";
  return text;
}

}  // namespace

state_db::state_db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

state_db::~state_db() {
  for (auto* s :
       {put_param_, put_watermark_, clear_namespaces_, put_namespace_, put_meta_, delete_param_})
    sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

std::string state_db::describe_error(const char* what) const {
  return "state database '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_);
}

bool state_db::exec(const char* sql, std::string* error) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  if (error) *error = "state database '" + path_ + "': " + (msg ? msg : sqlite3_errmsg(db_));
  sqlite3_free(msg);
  return false;
}

std::unique_ptr<state_db> state_db::open(const std::string& path, std::string& error) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                    SQLITE_OPEN_NOMUTEX,  // one owner thread at a time
                           nullptr);
  if (rc != SQLITE_OK) {
    error = "cannot open state database '" + path + "': " + open_failure(raw, rc);
    sqlite3_close_v2(raw);
    return nullptr;
  }
  std::unique_ptr<state_db> db(new state_db(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 1000);  // another process (a backup) may hold a lock briefly

  // SQLite silently falls back to read-only for a write-protected file; we
  // would only find out at the first commit, so refuse now.
  if (sqlite3_db_readonly(raw, "main") == 1) {
    error = "cannot open state database '" + path + "': the file is read-only";
    return nullptr;
  }

  // The first statement reads the header: this is where a corrupt or foreign
  // file is detected ("file is not a database").
  {
    statement s;
    rc = sqlite3_prepare_v2(raw, "PRAGMA journal_mode=WAL", -1, &s.stmt, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(s.stmt);
    if (rc != SQLITE_ROW) {
      error = "cannot open state database '" + path + "': " + open_failure(raw, rc);
      return nullptr;
    }
    std::string mode = column_text(s.stmt, 0);
    if (mode != "wal") {
      error = "cannot open state database '" + path + "': WAL journal not available (got '" +
              mode + "')";
      return nullptr;
    }
  }
  std::string why;
  if (!db->exec("PRAGMA synchronous=NORMAL", &why)) {
    error = "cannot open " + why;
    return nullptr;
  }

  // Schema: refuse a newer one before touching anything.
  if (!db->exec("BEGIN IMMEDIATE", &why) ||
      !db->exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", &why)) {
    error = "cannot open " + why;
    return nullptr;
  }
  int found = 0;
  {
    statement s;
    if (sqlite3_prepare_v2(raw, "SELECT max(version) FROM schema_version", -1, &s.stmt, nullptr) !=
            SQLITE_OK ||
        sqlite3_step(s.stmt) != SQLITE_ROW) {
      error = db->describe_error("cannot read the schema version");
      return nullptr;
    }
    found = sqlite3_column_int(s.stmt, 0);  // 0 when the table is empty (NULL)
  }
  if (found == 0) {
    // No version yet: a new file, or another program's database we must not touch.
    statement s;
    if (sqlite3_prepare_v2(raw,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                           "name <> 'schema_version'",
                           -1, &s.stmt, nullptr) != SQLITE_OK ||
        sqlite3_step(s.stmt) != SQLITE_ROW) {
      error = db->describe_error("cannot read the schema");
      return nullptr;
    }
    if (sqlite3_column_int(s.stmt, 0) != 0) {
      db->exec("ROLLBACK", nullptr);
      error = "state database '" + path + "' is a SQLite file of another program (no schema " +
              "version, other tables); refusing to open it";
      return nullptr;
    }
  }
  if (found > schema_version) {
    db->exec("ROLLBACK", nullptr);
    error = "state database '" + path + "' has schema version " + std::to_string(found) +
            ", newer than this router supports (" + std::to_string(schema_version) +
            "); refusing to open it (upgrade the router or use another file)";
    return nullptr;
  }
  if (!db->exec(schema_sql, &why)) {
    db->exec("ROLLBACK", nullptr);
    error = "cannot create the schema: " + why;
    return nullptr;
  }
  if (found == 1 &&
      !db->exec("ALTER TABLE watermarks ADD COLUMN incarnation INTEGER NOT NULL DEFAULT 0", &why)) {
    // 1 -> 2: watermarks without an incarnation read as "unknown" (0).
    db->exec("ROLLBACK", nullptr);
    error = "cannot migrate the schema from version 1: " + why;
    return nullptr;
  }
  if (found < schema_version) {
    // Later versions migrate above, step by step.
    std::string set_version = "DELETE FROM schema_version; INSERT INTO schema_version VALUES(" +
                              std::to_string(schema_version) + ")";
    if (!db->exec(set_version.c_str(), &why)) {
      db->exec("ROLLBACK", nullptr);
      error = "cannot record the schema version: " + why;
      return nullptr;
    }
  }
  if (!db->exec("COMMIT", &why)) {
    db->exec("ROLLBACK", nullptr);
    error = "cannot create the schema: " + why;
    return nullptr;
  }

  {
    // Damage past the header shows up only when pages are read; look at every
    // page now (about 20 ms per 100,000 params) rather than fail mid-load.
    statement s;
    rc = sqlite3_prepare_v2(raw, "PRAGMA quick_check", -1, &s.stmt, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(s.stmt);
    if (rc != SQLITE_ROW) {
      error = "cannot open state database '" + path + "': " + open_failure(raw, rc);
      return nullptr;
    }
    std::string verdict = column_text(s.stmt, 0);
    if (verdict != "ok") {
      error = "state database '" + path + "' is corrupt (" + verdict + ")";
      return nullptr;
    }
  }
  {
    // Commit and purge only ever raise these; they need the stored values.
    statement s;
    if (sqlite3_prepare_v2(raw, "SELECT key, value FROM meta", -1, &s.stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(s.stmt) == SQLITE_ROW) {
        std::string key = column_text(s.stmt, 0);
        if (key == "change_seq") db->change_seq_ = from_db(sqlite3_column_int64(s.stmt, 1));
        if (key == "tombstone_horizon")
          db->tombstone_horizon_ = from_db(sqlite3_column_int64(s.stmt, 1));
        if (key == "revision_floor") db->revision_floor_ = from_db(sqlite3_column_int64(s.stmt, 1));
        if (key == "log_segment") db->log_applied_.segment = from_db(sqlite3_column_int64(s.stmt, 1));
        if (key == "log_offset") db->log_applied_.offset = from_db(sqlite3_column_int64(s.stmt, 1));
      }
    }
  }
  if (!db->prepare_statements(error)) return nullptr;

  db->log_ = change_log::open(path, error);
  if (!db->log_) return nullptr;
  const auto log_end = db->log_->end();
  if (log_end.segment < db->log_applied_.segment) {
    // Only segments the database applied before (or none): start after them,
    // so a new record is never numbered as if it were applied already.
    if (!db->log_->restart_at(db->log_applied_.segment + 1, &why)) {
      error = why;
      return nullptr;
    }
  } else if (log_end.segment == db->log_applied_.segment && log_end.offset < db->log_applied_.offset) {
    error = "change log '" + path + ".log." + std::to_string(log_end.segment) +
            "' is shorter than the database says it applied; refusing to start";
    return nullptr;
  }
  db->log_read_ = db->staged_log_ = db->log_applied_;
  // What the log holds beyond the database (the process died before applying
  // it): applied now, before anything is loaded.
  while (db->log_backlog_bytes() > 0) {
    const auto before = db->log_applied_;
    if (!db->apply_logged(50000, &why)) {
      error = "cannot apply the change log: " + why;
      return nullptr;
    }
    if (db->log_applied_ == before) break;
  }
  if (!db->sync_to_disk(&why)) {
    error = why;
    return nullptr;
  }
  return db;
}

bool state_db::prepare_statements(std::string& error) {
  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } const all[] = {
      {&put_param_,
       "INSERT OR REPLACE INTO params(address, value, revision, writer, timestamp_us, seq, "
       "tombstone, expires_at_us, sliding_ttl_s) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&put_watermark_,
       "INSERT OR REPLACE INTO watermarks(router_id, seq, incarnation) VALUES(?1, ?2, ?3)"},
      {&clear_namespaces_, "DELETE FROM peer_namespaces WHERE router_id = ?1"},
      {&put_namespace_,
       "INSERT INTO peer_namespaces(router_id, position, pattern) VALUES(?1, ?2, ?3)"},
      {&put_meta_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"},
      {&delete_param_, "DELETE FROM params WHERE address = ?1"},
  };
  for (const auto& s : all) {
    if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) !=
        SQLITE_OK) {
      error = describe_error("cannot prepare statements");
      return false;
    }
  }
  return true;
}

persisted_state state_db::load(std::string* error) {
  persisted_state out;
  skipped_rows_ = 0;
  std::string failure;
  // Runs one query; every row goes to on_row. Remembers the first failure.
  auto query = [&](const char* sql, auto&& on_row) {
    if (!failure.empty()) return;
    statement s;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr);
    if (rc == SQLITE_OK) {
      while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) on_row(s.stmt);
    }
    if (rc != SQLITE_DONE) failure = describe_error("cannot load");
  };

  // One read transaction: a consistent view even if a commit races a backup.
  if (!exec("BEGIN", &failure)) {
    if (error) *error = failure;
    return out;
  }
  query("SELECT key, value FROM meta", [&](sqlite3_stmt* s) {
    std::string key = column_text(s, 0);
    if (key == "router_id")
      out.router_id = column_text(s, 1);
    else if (key == "change_seq")
      out.change_seq = from_db(sqlite3_column_int64(s, 1));
    else if (key == "tombstone_horizon")
      out.tombstone_horizon = from_db(sqlite3_column_int64(s, 1));
    else if (key == "revision_floor")
      out.revision_floor = from_db(sqlite3_column_int64(s, 1));
  });
  // By change sequence, so replaying the rows rebuilds the store's order.
  query(
      "SELECT address, value, revision, writer, timestamp_us, seq, tombstone, expires_at_us, "
      "sliding_ttl_s FROM params ORDER BY seq",
      [&](sqlite3_stmt* s) {
        param_record rec;
        if (!decode_value(column_blob(s, 1), rec.val)) {
          ++skipped_rows_;
          return;
        }
        rec.revision = from_db(sqlite3_column_int64(s, 2));
        rec.writer = column_text(s, 3);
        rec.timestamp_us = from_db(sqlite3_column_int64(s, 4));
        rec.seq = from_db(sqlite3_column_int64(s, 5));
        rec.tombstone = sqlite3_column_int(s, 6) != 0;
        rec.expires_at_us = from_db(sqlite3_column_int64(s, 7));
        rec.sliding_ttl_s = static_cast<std::uint32_t>(sqlite3_column_int64(s, 8));
        out.params.emplace_back(column_text(s, 0), std::move(rec));
      });
  query("SELECT router_id, seq, incarnation FROM watermarks", [&](sqlite3_stmt* s) {
    out.watermarks[column_text(s, 0)] = {from_db(sqlite3_column_int64(s, 1)),
                                         from_db(sqlite3_column_int64(s, 2))};
  });
  query("SELECT router_id, pattern FROM peer_namespaces ORDER BY router_id, position",
        [&](sqlite3_stmt* s) {
          out.peer_namespaces[column_text(s, 0)].push_back(column_text(s, 1));
        });
  exec("COMMIT", nullptr);
  if (error) *error = failure;
  return out;
}

bool state_db::save_router_id(const std::string& id, std::string* error) {
  sqlite3_reset(put_meta_);
  sqlite3_bind_text(put_meta_, 1, "router_id", -1, SQLITE_STATIC);
  bind_text(put_meta_, 2, id);
  int rc = sqlite3_step(put_meta_);
  sqlite3_reset(put_meta_);
  sqlite3_clear_bindings(put_meta_);
  if (rc != SQLITE_DONE) {
    if (error) *error = describe_error("cannot save the router id");
    return false;
  }
  return true;
}

void state_db::stage_param(std::string address, param_record rec) {
  staged_params_.insert_or_assign(std::move(address), std::move(rec));
}

void state_db::stage_watermark(const std::string& router_id, change_seq_t seq,
                               std::uint64_t incarnation) {
  staged_watermarks_[router_id] = {seq, incarnation};
}

void state_db::stage_peer_namespaces(const std::string& router_id,
                                     const std::vector<std::string>& patterns) {
  staged_namespaces_[router_id] = patterns;
}

void state_db::stage_erase(const std::string& address) {
  staged_params_.erase(address);
  staged_erases_.push_back(address);
}

void state_db::stage_purge_marks(change_seq_t tombstone_horizon, revision_t revision_floor) {
  staged_horizon_ = std::max(staged_horizon_, tombstone_horizon);
  staged_floor_ = std::max(staged_floor_, revision_floor);
}

std::size_t state_db::staged() const {
  return staged_params_.size() + staged_watermarks_.size() + staged_namespaces_.size() +
         staged_erases_.size() + (staged_horizon_ > tombstone_horizon_ ? 1 : 0) +
         (staged_floor_ > revision_floor_ ? 1 : 0) + (staged_log_ != log_applied_ ? 1 : 0);
}

bool state_db::log_batch(const std::vector<std::pair<std::string, param_record>>& params,
                         const std::vector<std::string>& erased,
                         const std::map<std::string, sync_mark>& watermarks,
                         change_seq_t tombstone_horizon, revision_t revision_floor,
                         std::string* error) {
  std::string& out = log_buf_;
  out.clear();
  put_u(out, log_record_version, 1);
  put_u(out, tombstone_horizon, 8);
  put_u(out, revision_floor, 8);
  put_u(out, erased.size(), 4);
  for (const auto& address : erased) put_str(out, address);
  put_u(out, params.size(), 4);
  for (const auto& [address, rec] : params) {
    put_str(out, address);
    encode_value(rec.val, encode_buf_);
    put_str(out, encode_buf_);
    put_u(out, rec.revision, 8);
    put_str(out, rec.writer.str());
    put_u(out, rec.timestamp_us, 8);
    put_u(out, rec.seq, 8);
    put_u(out, rec.tombstone ? 1 : 0, 1);
    put_u(out, rec.expires_at_us, 8);
    put_u(out, rec.sliding_ttl_s, 4);
  }
  put_u(out, watermarks.size(), 4);
  for (const auto& [router_id, mark] : watermarks) {
    put_str(out, router_id);
    put_u(out, mark.seq, 8);
    put_u(out, mark.incarnation, 8);
  }
  const bool ok = log_->append(out, error);
  if (out.capacity() > (4u << 20)) std::string().swap(out);
  return ok;
}

bool state_db::apply_logged(std::size_t max_rows, std::string* error) {
  std::size_t rows = 0;
  while (rows < max_rows) {
    auto at = log_read_;
    const auto result = log_->read(at, log_buf_);
    if (result == change_log::read_result::end) break;
    auto damaged = [&](const char* what) {
      if (error)
        *error = "change log '" + path_ + ".log." + std::to_string(log_read_.segment) +
                 "': " + what + " at byte " + std::to_string(log_read_.offset);
      return false;
    };
    if (result == change_log::read_result::damaged) return damaged("a record is damaged");
    record_reader r{log_buf_};
    if (r.u(1) != log_record_version) return damaged("a record of an unknown version");
    const change_seq_t horizon = r.u(8);
    const revision_t floor = r.u(8);
    for (auto n = r.u(4); r.ok && n > 0; --n) stage_erase(std::string(r.str()));
    for (auto n = r.u(4); r.ok && n > 0; --n) {
      std::string address(r.str());
      param_record rec;
      if (!decode_value(r.str(), rec.val)) r.ok = false;
      rec.revision = r.u(8);
      rec.writer = r.str();
      rec.timestamp_us = r.u(8);
      rec.seq = r.u(8);
      rec.tombstone = r.u(1) != 0;
      rec.expires_at_us = r.u(8);
      rec.sliding_ttl_s = static_cast<std::uint32_t>(r.u(4));
      if (r.ok) stage_param(std::move(address), std::move(rec));
      ++rows;
    }
    stage_purge_marks(horizon, floor);
    for (auto n = r.u(4); r.ok && n > 0; --n) {
      std::string router_id(r.str());
      const change_seq_t seq = r.u(8);
      const std::uint64_t incarnation = r.u(8);
      stage_watermark(router_id, seq, incarnation);
    }
    // A record that passed its checksum but does not parse: written by
    // something else, not torn. Nothing of it may count as applied.
    if (!r.ok) return damaged("a record does not parse");
    log_read_ = at;
    staged_log_ = at;
  }
  if (!commit(error)) return false;
  applied_rows_ += rows;
  return true;
}

std::uint64_t state_db::log_backlog_bytes() const {
  return log_ ? log_->bytes_after(log_applied_) : 0;
}

bool state_db::write_staged(std::string& error) {
  auto step = [&](sqlite3_stmt* s, const char* what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return true;
    error = describe_error(what);
    return false;
  };

  for (const auto& address : staged_erases_) {
    bind_text(delete_param_, 1, address);
    if (!step(delete_param_, "cannot delete a purged param")) return false;
  }
  auto put_meta = [&](const char* key, std::uint64_t v) {
    sqlite3_bind_text(put_meta_, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(put_meta_, 2, to_db(v));
    return step(put_meta_, "cannot write the state marks");
  };
  if (staged_horizon_ > tombstone_horizon_ && !put_meta("tombstone_horizon", staged_horizon_))
    return false;
  if (staged_floor_ > revision_floor_ && !put_meta("revision_floor", staged_floor_)) return false;
  change_seq_t max_seq = change_seq_;
  for (const auto& [address, rec] : staged_params_) {
    encode_value(rec.val, encode_buf_);
    if (encode_buf_.size() > codec::max_payload) {
      // Cannot come from the wire; the codec's u16 lengths would wrap on reload.
      ++rejected_values_;
      continue;
    }
    bind_text(put_param_, 1, address);
    sqlite3_bind_blob(put_param_, 2, encode_buf_.data(), static_cast<int>(encode_buf_.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(put_param_, 3, to_db(rec.revision));
    bind_text(put_param_, 4, rec.writer);
    sqlite3_bind_int64(put_param_, 5, to_db(rec.timestamp_us));
    sqlite3_bind_int64(put_param_, 6, to_db(rec.seq));
    sqlite3_bind_int(put_param_, 7, rec.tombstone ? 1 : 0);
    sqlite3_bind_int64(put_param_, 8, to_db(rec.expires_at_us));
    sqlite3_bind_int64(put_param_, 9, rec.sliding_ttl_s);
    if (!step(put_param_, "cannot write a param")) return false;
    max_seq = std::max(max_seq, rec.seq);
  }
  for (const auto& [router_id, mark] : staged_watermarks_) {
    bind_text(put_watermark_, 1, router_id);
    sqlite3_bind_int64(put_watermark_, 2, to_db(mark.seq));
    sqlite3_bind_int64(put_watermark_, 3, to_db(mark.incarnation));
    if (!step(put_watermark_, "cannot write a watermark")) return false;
  }
  for (const auto& [router_id, patterns] : staged_namespaces_) {
    bind_text(clear_namespaces_, 1, router_id);
    if (!step(clear_namespaces_, "cannot replace peer namespaces")) return false;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      bind_text(put_namespace_, 1, router_id);
      sqlite3_bind_int64(put_namespace_, 2, static_cast<sqlite3_int64>(i));
      bind_text(put_namespace_, 3, patterns[i]);
      if (!step(put_namespace_, "cannot write a peer namespace")) return false;
    }
  }
  if (staged_log_ != log_applied_ &&
      (!put_meta("log_segment", staged_log_.segment) || !put_meta("log_offset", staged_log_.offset)))
    return false;
  if (max_seq != change_seq_) {
    sqlite3_bind_text(put_meta_, 1, "change_seq", -1, SQLITE_STATIC);
    sqlite3_bind_int64(put_meta_, 2, to_db(max_seq));
    if (!step(put_meta_, "cannot write the change sequence")) return false;
  }
  change_seq_ = max_seq;
  return true;
}

bool state_db::commit(std::string* error) {
  if (staged() == 0) return true;
  std::string why;
  const change_seq_t seq_before = change_seq_;
  // IMMEDIATE takes the write lock up front, so the batch cannot fail half-way
  // on a lock upgrade.
  bool ok = exec("BEGIN IMMEDIATE", &why) && write_staged(why) && exec("COMMIT", &why);
  // Statements hold bound pointers into the staged maps; drop them before
  // those maps change.
  for (auto* s :
       {put_param_, put_watermark_, clear_namespaces_, put_namespace_, put_meta_, delete_param_})
    sqlite3_clear_bindings(s);
  if (!ok) {
    if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK", nullptr);
    change_seq_ = seq_before;
    if (error) *error = why;
    return false;
  }
  staged_params_.clear();
  staged_watermarks_.clear();
  staged_namespaces_.clear();
  staged_erases_.clear();
  tombstone_horizon_ = std::max(tombstone_horizon_, staged_horizon_);
  revision_floor_ = std::max(revision_floor_, staged_floor_);
  log_applied_ = staged_log_;
  return true;
}

bool state_db::sync_to_disk(std::string* error) {
  if (log_ && !log_->sync(error)) return false;
  int log_frames = 0;
  int checkpointed = 0;
  int rc =
      sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &checkpointed);
  if (rc != SQLITE_OK) {
    if (error) *error = describe_error("cannot checkpoint");
    return false;
  }
  // The database's copy of these segments is on disk now; all of the log, if
  // nothing is left to apply: then a fresh segment instead of a spent one.
  if (log_) {
    log_->drop_before(log_applied_.segment);
    if (log_backlog_bytes() == 0 && log_->current_has_records() &&
        !log_->restart_at(log_->end().segment + 1, error))
      return false;
  }
  return true;
}

bool state_db::purge_tombstones_before(change_seq_t horizon, std::string* error) {
  // The recorded horizon is the highest purged tombstone's seq, as param_store
  // keeps it: a peer synced past it has seen every removal still missing here.
  change_seq_t highest = tombstone_horizon_;
  for (auto it = staged_params_.begin(); it != staged_params_.end();) {
    if (it->second.tombstone && it->second.seq < horizon) {
      highest = std::max(highest, it->second.seq);
      it = staged_params_.erase(it);
    } else {
      ++it;
    }
  }
  std::string why;
  auto run = [&](const char* sql, auto&& on_row) {
    statement s;
    if (sqlite3_prepare_v2(db_, sql, -1, &s.stmt, nullptr) != SQLITE_OK) return false;
    sqlite3_bind_int64(s.stmt, 1, to_db(horizon));
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) on_row(s.stmt);
    return rc == SQLITE_DONE;
  };
  bool ok = exec("BEGIN IMMEDIATE", &why);
  if (ok) {
    ok = run("SELECT max(seq) FROM params WHERE tombstone = 1 AND seq < ?1",
             [&](sqlite3_stmt* s) {
               if (sqlite3_column_type(s, 0) != SQLITE_NULL)
                 highest = std::max(highest, from_db(sqlite3_column_int64(s, 0)));
             }) &&
         run("DELETE FROM params WHERE tombstone = 1 AND seq < ?1", [](sqlite3_stmt*) {});
    if (!ok) why = describe_error("cannot purge tombstones");
  }
  if (ok && highest != tombstone_horizon_) {
    sqlite3_bind_text(put_meta_, 1, "tombstone_horizon", -1, SQLITE_STATIC);
    sqlite3_bind_int64(put_meta_, 2, to_db(highest));
    int rc = sqlite3_step(put_meta_);
    sqlite3_reset(put_meta_);
    sqlite3_clear_bindings(put_meta_);
    if (rc != SQLITE_DONE) {
      why = describe_error("cannot record the tombstone horizon");
      ok = false;
    }
  }
  ok = ok && exec("COMMIT", &why);
  if (!ok) {
    if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK", nullptr);
    if (error) *error = why;
    return false;
  }
  tombstone_horizon_ = highest;
  return true;
}

}  // namespace clasp::router
