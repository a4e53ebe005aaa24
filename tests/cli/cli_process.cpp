// posix_spawn with stdout on a pipe (polled with deadlines) and stderr in a temp file.
#include "tests/cli/cli_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/router_process.hpp"

extern char** environ;

namespace clasp::clitest {

namespace {

using clock_type = std::chrono::steady_clock;

millis left_until(clock_type::time_point deadline) {
  return std::max(millis(0), std::chrono::duration_cast<millis>(deadline - clock_type::now()));
}

}  // namespace

cli_process::cli_process(std::vector<std::string> args) {
  const std::string bin = test::router_binary();
  std::string templ = (std::filesystem::temp_directory_path() / "clasp-cli-stderr-XXXXXX").string();
  int err_fd = ::mkstemp(templ.data());
  if (err_fd < 0) throw std::runtime_error(std::string("mkstemp: ") + std::strerror(errno));
  stderr_path_ = templ;
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> argv_store{bin};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = ::posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_fd);
  stdout_fd_ = out_pipe[0];
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
  }
}

cli_process::~cli_process() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (!stderr_path_.empty()) std::filesystem::remove(stderr_path_);
}

bool cli_process::read_more(millis timeout) {
  if (eof_) return false;
  pollfd p{stdout_fd_, POLLIN, 0};
  int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (n <= 0) return false;
  char buf[4096];
  ssize_t got = ::read(stdout_fd_, buf, sizeof(buf));
  if (got <= 0) {
    eof_ = true;
    return false;
  }
  out_.append(buf, static_cast<std::size_t>(got));
  return true;
}

std::optional<std::string> cli_process::read_line(millis timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto nl = out_.find('\n', consumed_);
    if (nl != std::string::npos) {
      std::string line = out_.substr(consumed_, nl - consumed_);
      consumed_ = nl + 1;
      return line;
    }
    if (!read_more(left_until(deadline)) && (eof_ || clock_type::now() >= deadline))
      return std::nullopt;
  }
}

std::optional<int> cli_process::wait_exit(millis timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = clock_type::now() + timeout;
  // End of stdout comes when the child exits (it starts no children of its own).
  while (!eof_ && clock_type::now() < deadline) read_more(left_until(deadline));
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = test::exit_code_of(status);
      return exit_code_;
    }
    if (clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(millis(2));  // output closed, exit status due any moment
  }
}

void cli_process::send_signal(int sig) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
}

std::string cli_process::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

cli_result run_cli(std::vector<std::string> args, millis timeout) {
  cli_process p(std::move(args));
  cli_result r;
  auto code = p.wait_exit(timeout);
  r.exit_code = code.value_or(-1);
  r.out = p.all_stdout();
  r.err = p.stderr_text();
  return r;
}

}  // namespace clasp::clitest
