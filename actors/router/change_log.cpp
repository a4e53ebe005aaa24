// Append-only segment files of the state database; see change_log.hpp.
#include "actors/router/change_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace clasp::router {

namespace {

constexpr char magic[change_log::header_bytes] = {'C', 'L', 'A', 'S', 'P', 'L', 'G', '1'};
constexpr std::size_t frame_bytes = 12;  // u32 length, u64 checksum
// No batch comes near this (2,000 params of at most 64 KiB values would); a
// larger length is damage, not a record to allocate for.
constexpr std::uint32_t max_record = 512u << 20;

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

void put_le(char* out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>(v >> (8 * i));
}
std::uint64_t get_le(const char* in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

std::string errno_text(const std::string& what, const std::string& path) {
  return "change log '" + path + "': " + what + ": " + std::strerror(errno);
}

bool pread_all(int fd, char* out, std::size_t n, std::uint64_t at) {
  while (n > 0) {
    const ssize_t got = ::pread(fd, out, n, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    n -= static_cast<std::size_t>(got);
    at += static_cast<std::uint64_t>(got);
  }
  return true;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t put = ::write(fd, data, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    data += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

// True if [from, size) of the file holds only zero bytes (a file extended by
// a crash before its data reached the disk).
bool zeros_to_end(int fd, std::uint64_t from, std::uint64_t size) {
  char buf[4096];
  while (from < size) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, size - from));
    if (!pread_all(fd, buf, n, from)) return false;
    if (std::any_of(buf, buf + n, [](char c) { return c != 0; })) return false;
    from += n;
  }
  return true;
}

// Where the valid records of a segment end. What follows them is a torn
// write (a record reaching the end of the file, or zeros) or, if anything
// else follows, damage.
struct scan_result {
  std::uint64_t valid_end = 0;
  bool damaged = false;
};
scan_result scan(int fd, std::uint64_t size) {
  scan_result r{change_log::header_bytes, false};
  std::string payload;
  char frame[frame_bytes];
  auto stop = [&](std::uint64_t record_end) {
    r.damaged = record_end < size && !zeros_to_end(fd, r.valid_end, size);
    return r;
  };
  while (r.valid_end < size) {
    if (r.valid_end + frame_bytes > size || !pread_all(fd, frame, frame_bytes, r.valid_end))
      return stop(size);
    const auto len = static_cast<std::uint32_t>(get_le(frame, 4));
    const std::uint64_t next = r.valid_end + frame_bytes + len;
    if (len > max_record) return stop(0);  // garbage: torn only if zeros follow
    if (next > size) return stop(size);
    payload.resize(len);
    if (!pread_all(fd, payload.data(), len, r.valid_end + frame_bytes)) return stop(size);
    if (fnv1a(payload) != get_le(frame + 4, 8)) return stop(next);
    r.valid_end = next;
  }
  return r;
}

}  // namespace

change_log::~change_log() {
  if (fd_ >= 0) ::close(fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
}

std::string change_log::segment_path(std::uint64_t n) const { return base_ + ".log." + std::to_string(n); }

std::uint64_t change_log::size_of(std::uint64_t n) const {
  if (n == current_) return current_size_;
  for (const auto& [number, size] : segments_)
    if (number == n) return size;
  return 0;
}

std::unique_ptr<change_log> change_log::open(const std::string& base, std::string& error) {
  std::unique_ptr<change_log> log(new change_log(base));
  namespace fs = std::filesystem;
  const fs::path base_path(base);
  const fs::path dir = base_path.has_parent_path() ? base_path.parent_path() : fs::path(".");
  const std::string prefix = base_path.filename().string() + ".log.";
  std::vector<std::uint64_t> numbers;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    numbers.push_back(std::stoull(digits));
  }
  if (ec) {
    error = "change log '" + base + "': cannot list " + dir.string() + ": " + ec.message();
    return nullptr;
  }
  std::sort(numbers.begin(), numbers.end());
  for (std::size_t i = 1; i < numbers.size(); ++i)
    if (numbers[i] != numbers[i - 1] + 1) {
      error = "change log '" + base + "': segment " + std::to_string(numbers[i - 1] + 1) +
              " is missing (have " + std::to_string(numbers[i - 1]) + " and " +
              std::to_string(numbers[i]) + "); refusing to start without it";
      return nullptr;
    }
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const std::string path = log->segment_path(numbers[i]);
    const bool last = i + 1 == numbers.size();
    const int fd = ::open(path.c_str(), last ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = errno_text("cannot open", path);
      return nullptr;
    }
    struct stat st {};
    ::fstat(fd, &st);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    char head[header_bytes] = {};
    const bool head_ok = size >= header_bytes && pread_all(fd, head, header_bytes, 0) &&
                         std::memcmp(head, magic, header_bytes) == 0;
    if (!last) {
      ::close(fd);
      if (!head_ok) {
        error = "change log segment '" + path + "' is damaged (bad header)";
        return nullptr;
      }
      log->segments_.emplace_back(numbers[i], size);
      continue;
    }
    if (!head_ok && size >= header_bytes) {
      ::close(fd);
      error = "change log segment '" + path + "' is damaged (bad header)";
      return nullptr;
    }
    scan_result r = head_ok ? scan(fd, size) : scan_result{0, false};
    if (r.damaged) {
      ::close(fd);
      error = "change log segment '" + path + "' is damaged at byte " + std::to_string(r.valid_end) +
              " (a record fails its check and more follows); refusing to start";
      return nullptr;
    }
    if (!head_ok) {
      // Created but its header never written in full: a crash at its start.
      if (::ftruncate(fd, 0) != 0 || !write_all(fd, magic, header_bytes)) {
        error = errno_text("cannot repair the header", path);
        ::close(fd);
        return nullptr;
      }
      r.valid_end = header_bytes;
    } else if (r.valid_end < size && ::ftruncate(fd, static_cast<off_t>(r.valid_end)) != 0) {
      // A record the process died writing: it was never acknowledged.
      error = errno_text("cannot drop a torn record", path);
      ::close(fd);
      return nullptr;
    }
    ::lseek(fd, static_cast<off_t>(r.valid_end), SEEK_SET);
    log->fd_ = fd;
    log->current_ = numbers[i];
    log->current_size_ = r.valid_end;
  }
  if (log->fd_ < 0 && !log->start_segment(numbers.empty() ? 1 : numbers.back() + 1, &error))
    return nullptr;
  return log;
}

bool change_log::start_segment(std::uint64_t n, std::string* error) {
  const std::string path = segment_path(n);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || !write_all(fd, magic, header_bytes)) {
    if (error) *error = errno_text("cannot create", path);
    if (fd >= 0) ::close(fd);
    return false;
  }
  if (fd_ >= 0) {
    segments_.emplace_back(current_, current_size_);
    ::close(fd_);
  }
  fd_ = fd;
  current_ = n;
  current_size_ = header_bytes;
  return true;
}

bool change_log::append(std::string_view payload, std::string* error) {
  if (current_size_ > header_bytes && current_size_ + frame_bytes + payload.size() > segment_bytes) {
    // The closed segment is synced now, so sync() only ever needs the current one.
    if (::fdatasync(fd_) != 0) {
      if (error) *error = errno_text("cannot sync", segment_path(current_));
      return false;
    }
    if (!start_segment(current_ + 1, error)) return false;
  }
  write_buf_.resize(frame_bytes);
  put_le(write_buf_.data(), payload.size(), 4);
  put_le(write_buf_.data() + 4, fnv1a(payload), 8);
  write_buf_.append(payload.data(), payload.size());
  if (!write_all(fd_, write_buf_.data(), write_buf_.size())) {
    if (error) *error = errno_text("cannot append", segment_path(current_));
    // Never leave half a record before the next one.
    if (::ftruncate(fd_, static_cast<off_t>(current_size_)) == 0)
      ::lseek(fd_, static_cast<off_t>(current_size_), SEEK_SET);
    return false;
  }
  current_size_ += write_buf_.size();
  if (write_buf_.capacity() > (4u << 20)) std::string().swap(write_buf_);
  return true;
}

change_log::read_result change_log::read(position& at, std::string& payload) {
  for (;;) {
    if (at.segment < start().segment) at = start();
    if (at.offset < header_bytes) at.offset = header_bytes;
    const std::uint64_t size = size_of(at.segment);
    if (at.offset >= size) {
      if (at.segment >= current_) return read_result::end;
      at = {at.segment + 1, header_bytes};
      continue;
    }
    if (read_segment_ != at.segment || read_fd_ < 0) {
      if (read_fd_ >= 0) ::close(read_fd_);
      read_fd_ = ::open(segment_path(at.segment).c_str(), O_RDONLY | O_CLOEXEC);
      read_segment_ = at.segment;
      if (read_fd_ < 0) return read_result::damaged;
    }
    char frame[frame_bytes];
    if (at.offset + frame_bytes > size || !pread_all(read_fd_, frame, frame_bytes, at.offset))
      return read_result::damaged;
    const auto len = static_cast<std::uint32_t>(get_le(frame, 4));
    if (len > max_record || at.offset + frame_bytes + len > size) return read_result::damaged;
    payload.resize(len);
    if (!pread_all(read_fd_, payload.data(), len, at.offset + frame_bytes) ||
        fnv1a(payload) != get_le(frame + 4, 8))
      return read_result::damaged;
    at.offset += frame_bytes + len;
    // A segment read to its end is done with: the position names the next one.
    if (at.offset == size && at.segment < current_) at = {at.segment + 1, header_bytes};
    return read_result::record;
  }
}

bool change_log::sync(std::string* error) {
  if (::fdatasync(fd_) == 0) return true;
  if (error) *error = errno_text("cannot sync", segment_path(current_));
  return false;
}

void change_log::drop_before(std::uint64_t segment) {
  while (!segments_.empty() && segments_.front().first < segment) {
    if (read_segment_ == segments_.front().first && read_fd_ >= 0) {
      ::close(read_fd_);
      read_fd_ = -1;
    }
    ::unlink(segment_path(segments_.front().first).c_str());
    segments_.erase(segments_.begin());
  }
}

bool change_log::restart_at(std::uint64_t n, std::string* error) {
  drop_before(current_ + 1);
  if (read_fd_ >= 0) ::close(read_fd_);
  read_fd_ = -1;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(segment_path(current_).c_str());
  return start_segment(n, error);
}

change_log::position change_log::start() const {
  return {segments_.empty() ? current_ : segments_.front().first, header_bytes};
}

std::uint64_t change_log::bytes_after(position at) const {
  const position first = start();
  if (at.segment < first.segment) at = first;
  std::uint64_t total = 0;
  auto add = [&](std::uint64_t number, std::uint64_t size) {
    if (number < at.segment) return;
    const std::uint64_t from = number == at.segment ? std::max<std::uint64_t>(at.offset, header_bytes)
                                                     : header_bytes;
    if (size > from) total += size - from;
  };
  for (const auto& [number, size] : segments_) add(number, size);
  add(current_, current_size_);
  return total;
}

}  // namespace clasp::router
