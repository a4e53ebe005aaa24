// A real `clasp` router process for integration tests: spawned from $CLASP_BIN,
// ready once it prints "listening on ws://HOST:PORT", stopped by PID only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace clasp::test {

// Path of the router binary from $CLASP_BIN; throws with a clear message if unset.
std::string router_binary();

class router_process {
 public:
  // Starts `$CLASP_BIN args...` and waits (bounded) for its listening line.
  // Throws std::runtime_error (with the router's stderr) if it does not come up.
  explicit router_process(std::vector<std::string> args,
                          std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));
  // Convenience: `clasp server --bind 127.0.0.1 --port 0 --log-level warn` plus `extra`.
  static std::vector<std::string> server_args(std::vector<std::string> extra = {});

  ~router_process();
  router_process(const router_process&) = delete;
  router_process& operator=(const router_process&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const;  // ws://127.0.0.1:PORT
  pid_t pid() const { return pid_; }
  bool running();  // false once the process has exited (reaps it)

  // SIGTERM, then waits up to `timeout`; returns the exit status as
  // waitpid encodes it, or std::nullopt if it did not exit in time (then it
  // is SIGKILLed so nothing leaks).
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits (bounded) for an exit already under way; the waitpid status or nullopt.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void kill9();
  // Starts again with the same arguments; a `--port 0` becomes the port the
  // first run got, so peers can reconnect to the same address.
  void restart(std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  // Resident set size in kB from /proc/PID/status, or -1 if unreadable.
  long rss_kb() const;
  // The last `max_bytes` the router wrote to stderr.
  std::string stderr_tail(std::size_t max_bytes = 8192) const;
  const std::vector<std::string>& args() const { return args_; }

 private:
  void spawn(std::chrono::milliseconds ready_timeout);
  void stop_drainer();

  std::vector<std::string> args_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::optional<int> exit_status_;
  std::uint16_t port_ = 0;
  std::thread stdout_drainer_;  // keeps the pipe from filling after the ready line
};

// Decodes a waitpid status: the exit code, or 128+signal if killed by one.
int exit_code_of(int wait_status);

}  // namespace clasp::test
