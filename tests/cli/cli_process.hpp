// A `clasp` command ($CLASP_BIN) run as a child process for the CLI tests:
// stdout read line by line with bounded waits, stderr kept, stopped by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace clasp::clitest {

using millis = std::chrono::milliseconds;

struct cli_result {
  int exit_code = -1;  // -1: did not end in time (then it was killed)
  std::string out;
  std::string err;
};

class cli_process {
 public:
  explicit cli_process(std::vector<std::string> args);
  ~cli_process();  // SIGKILLs a child still running
  cli_process(const cli_process&) = delete;
  cli_process& operator=(const cli_process&) = delete;

  // The next complete stdout line, or nullopt on timeout / end of output.
  std::optional<std::string> read_line(millis timeout);
  // Reads stdout to its end and reaps the child; the exit code (128+signal if killed
  // by one), or nullopt if it did not end within `timeout`.
  std::optional<int> wait_exit(millis timeout);
  void send_signal(int sig);
  std::string all_stdout() const { return out_; }  // everything read so far
  std::string stderr_text() const;

 private:
  // Reads what is available within `timeout`; false at end of output or timeout.
  bool read_more(millis timeout);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::string out_;
  std::size_t consumed_ = 0;  // of out_, returned by read_line
  bool eof_ = false;
  std::optional<int> exit_code_;
};

// Runs `clasp args...` to its end (bounded).
cli_result run_cli(std::vector<std::string> args, millis timeout = millis(20000));

}  // namespace clasp::clitest
