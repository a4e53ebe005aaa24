// A value, or the reason there is none: what every call of the embedding API
// returns instead of throwing or blocking without bound.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace clasp_federation {

template <class T>
class result {
 public:
  static result success(T value) { return result{std::move(value), {}}; }
  static result failure(std::string why) { return result{std::nullopt, std::move(why)}; }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& operator*() const { return *value_; }
  T& operator*() { return *value_; }  // e.g. std::move(*started) to take a node
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  const T& value() const { return value_.value(); }
  // Empty when ok(); otherwise says what went wrong, e.g. "timeout after 3000 ms".
  const std::string& error() const { return error_; }

 private:
  result(std::optional<T> value, std::string error)
      : value_(std::move(value)), error_(std::move(error)) {}
  std::optional<T> value_;
  std::string error_;
};

}  // namespace clasp_federation
