// Owns the Asio io_context and the thread(s) that run all sockets.
#pragma once

#include <memory>

namespace clasp::transport {

class io_runtime {
 public:
  explicit io_runtime(unsigned threads = 1);
  ~io_runtime();  // stops and joins
  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  void stop();  // idempotent

  struct impl;
  impl& internals() { return *impl_; }  // for transport/ .cpp files only

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace clasp::transport
