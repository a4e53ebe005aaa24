// The writer of a param (a session id or a router id), stored as a shared,
// immutable string: thousands of params written by one session or replicated
// from one router share a single copy (8-16 bytes a param instead of 32+).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace clasp::router {

class writer_name {
 public:
  writer_name() = default;
  writer_name(std::string_view s) { assign(s); }
  writer_name(const std::string& s) { assign(s); }
  writer_name(const char* s) { assign(s); }

  writer_name& operator=(std::string_view s) {
    assign(s);
    return *this;
  }
  writer_name& operator=(const std::string& s) { return *this = std::string_view(s); }
  writer_name& operator=(const char* s) { return *this = std::string_view(s); }

  // Shares `other`'s string (no copy) — the way to give many params one writer.
  void share(const writer_name& other) { text_ = other.text_; }

  const std::string& str() const { return text_ ? *text_ : empty(); }
  operator const std::string&() const { return str(); }
  bool empty_name() const { return !text_ || text_->empty(); }

  friend bool operator==(const writer_name& a, const writer_name& b) { return a.str() == b.str(); }
  friend bool operator==(const writer_name& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const writer_name& a, const char* b) { return a.str() == b; }
  friend bool operator!=(const writer_name& a, const writer_name& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const writer_name& w) { return os << w.str(); }

 private:
  void assign(std::string_view s) {
    if (text_ && *text_ == s) return;
    text_ = s.empty() ? nullptr : std::make_shared<const std::string>(s);
  }
  static const std::string& empty() {
    static const std::string e;
    return e;
  }
  std::shared_ptr<const std::string> text_;
};

}  // namespace clasp::router
