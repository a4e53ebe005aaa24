// The state database's change log: append-only segment files next to it
// (`<db>.log.<n>`), one record per persistence batch. Appending a batch costs
// one write() (the bytes are then in the OS and survive a crash of the
// process); the database applies the records later, in its own time, and
// segments it has applied are deleted. So the durability of an ACKed write
// depends on the append, not on how fast SQLite takes rows.
//
// A record: u32 length, u64 FNV-1a of the payload, payload. A record cut short
// or failing its check at the very end of the last segment is a write the
// process died in (never acknowledged): dropped. Anywhere else it is damage,
// reported, never skipped. Plain C++, one owner thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clasp::router {

class change_log {
 public:
  struct position {
    std::uint64_t segment = 0;
    std::uint64_t offset = 0;
    bool operator==(const position& o) const { return segment == o.segment && offset == o.offset; }
    bool operator!=(const position& o) const { return !(*this == o); }
  };
  enum class read_result { record, end, damaged };

  // Lists the segments of `base` (`base.log.<n>`), trims a torn tail of the
  // last one and opens it for appending, or starts segment 1. nullptr and
  // `error` on failure (a missing segment in the middle, an unreadable file).
  static std::unique_ptr<change_log> open(const std::string& base, std::string& error);
  ~change_log();
  change_log(const change_log&) = delete;
  change_log& operator=(const change_log&) = delete;

  // One record at the end (a new segment first once the current one is large).
  bool append(std::string_view payload, std::string* error = nullptr);
  // The record at `at` into `payload`, `at` moved past it (to the next segment
  // at a segment's end). `end` when nothing follows.
  read_result read(position& at, std::string& payload);
  // fdatasync of the segment being written (the earlier ones were synced when
  // they were closed): what was appended survives power loss.
  bool sync(std::string* error = nullptr);
  // Deletes the segments before `segment` (the database has them).
  void drop_before(std::uint64_t segment);
  // Deletes every segment and starts again at segment `n` (the database
  // holds all of them and numbers its log position from n on).
  bool restart_at(std::uint64_t n, std::string* error = nullptr);

  position start() const;  // first record of the oldest segment kept
  position end() const { return {current_, current_size_}; }
  bool current_has_records() const { return current_size_ > header_bytes; }
  // Bytes from `at` to the end (what the database has not applied yet).
  std::uint64_t bytes_after(position at) const;
  const std::string& describe() const { return base_; }

  static constexpr std::uint64_t segment_bytes = 64u << 20;
  static constexpr std::size_t header_bytes = 8;

 private:
  change_log(std::string base) : base_(std::move(base)) {}
  std::string segment_path(std::uint64_t n) const;
  bool start_segment(std::uint64_t n, std::string* error);
  std::uint64_t size_of(std::uint64_t n) const;

  std::string base_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> segments_;  // number, size (closed ones)
  std::uint64_t current_ = 0;
  std::uint64_t current_size_ = 0;
  int fd_ = -1;
  int read_fd_ = -1;
  std::uint64_t read_segment_ = 0;
  std::string write_buf_;
};

}  // namespace clasp::router
