// Spawns the router with posix_spawn (stdout piped, stderr to a temp file),
// parses its listening line, and stops it by PID with bounded waits.
#include "tests/support/router_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace clasp::test {

namespace {

using clock_type = std::chrono::steady_clock;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string make_stderr_file() {
  std::string templ =
      (std::filesystem::temp_directory_path() / "clasp-router-stderr-XXXXXX").string();
  int fd = ::mkstemp(templ.data());
  if (fd < 0) throw std::runtime_error(errno_text("mkstemp"));
  ::close(fd);
  return templ;
}

// The port of a "listening on ws://HOST:PORT" (or wss://) line, if this is one.
std::optional<std::uint16_t> listening_port(const std::string& line) {
  static const std::regex re(R"(listening on wss?://[^\s:/]+:([0-9]{1,5}))");
  std::smatch m;
  if (!std::regex_search(line, m, re)) return std::nullopt;
  unsigned long p = std::stoul(m[1].str());
  if (p == 0 || p > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(p);
}

}  // namespace

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

std::string router_binary() {
  const char* bin = std::getenv("CLASP_BIN");
  if (bin == nullptr || *bin == '\0') {
    throw std::runtime_error(
        "CLASP_BIN is not set: run these tests through ctest, or export CLASP_BIN=<path to the "
        "clasp executable>");
  }
  if (::access(bin, X_OK) != 0) {
    throw std::runtime_error(std::string("CLASP_BIN=") + bin + " is not an executable file");
  }
  return bin;
}

std::vector<std::string> router_process::server_args(std::vector<std::string> extra) {
  std::vector<std::string> args{"server", "--bind",      "127.0.0.1", "--port",
                                "0",      "--log-level", "warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

router_process::router_process(std::vector<std::string> args,
                               std::chrono::milliseconds ready_timeout)
    : args_(std::move(args)), stderr_path_(make_stderr_file()) {
  spawn(ready_timeout);
}

router_process::~router_process() {
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "---- router (pid %d, %s) stderr tail ----\n%s\n----\n", pid_,
                 url().c_str(), stderr_tail().c_str());
  }
  if (pid_ > 0 && !exit_status_) kill9();
  stop_drainer();
  if (!stderr_path_.empty()) ::unlink(stderr_path_.c_str());
}

std::string router_process::url() const { return "ws://127.0.0.1:" + std::to_string(port_); }

void router_process::spawn(std::chrono::milliseconds ready_timeout) {
  const std::string bin = router_binary();

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(), O_WRONLY | O_APPEND, 0);
  // Test sockets are not close-on-exec; a router must not keep them open.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(bin.c_str()));
  for (auto& a : args_) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    throw std::runtime_error("posix_spawn " + bin + ": " + std::strerror(rc));
  }
  pid_ = pid;
  exit_status_.reset();
  stdout_fd_ = out_pipe[0];

  // Read stdout line by line until the listening line, EOF or the deadline.
  const auto deadline = clock_type::now() + ready_timeout;
  std::string pending;
  std::string seen;
  std::optional<std::uint16_t> port;
  while (!port) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) break;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    char buf[512];
    ssize_t got = ::read(stdout_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the router exited
    pending.append(buf, static_cast<std::size_t>(got));
    std::size_t nl;
    while (!port && (nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      seen += line + "\n";
      port = listening_port(line);
    }
  }
  if (!port) {
    std::ostringstream why;
    why << "router did not print 'listening on ws://HOST:PORT' within " << ready_timeout.count()
        << " ms (pid " << pid_ << ", running=" << running() << ")\nstdout:\n"
        << seen << pending << "\nstderr:\n"
        << stderr_tail();
    kill9();
    ::close(stdout_fd_);
    stdout_fd_ = -1;
    throw std::runtime_error(why.str());
  }
  port_ = *port;

  // Drain the rest so a chatty router never blocks on a full pipe.
  int fd = stdout_fd_;
  stdout_drainer_ = std::thread([fd] {
    char buf[4096];
    for (;;) {
      ssize_t got = ::read(fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return;
    }
  });
}

void router_process::stop_drainer() {
  if (stdout_drainer_.joinable()) stdout_drainer_.join();  // returns on EOF (process gone)
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

bool router_process::running() {
  if (pid_ <= 0 || exit_status_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    return false;
  }
  return r == 0;
}

std::optional<int> router_process::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  if (pid_ <= 0) return std::nullopt;
  // A pidfd becomes readable when the process exits: a bounded wait without polling loops.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left.count() < 0) left = std::chrono::milliseconds(0);
      pollfd pfd{pidfd, POLLIN, 0};
      int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    ::close(pidfd);
  }
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_status_ = status;
  return exit_status_;
}

std::optional<int> router_process::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (!exit_status_) ::kill(pid_, SIGTERM);
  auto status = wait_exit(timeout);
  if (!status) {
    kill9();
    return std::nullopt;
  }
  stop_drainer();
  return status;
}

void router_process::kill9() {
  if (pid_ <= 0 || exit_status_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_status_ = status;
  stop_drainer();
}

void router_process::restart(std::chrono::milliseconds ready_timeout) {
  if (running()) terminate();
  stop_drainer();
  for (std::size_t i = 0; i + 1 < args_.size(); ++i) {
    if (args_[i] == "--port" && args_[i + 1] == "0") args_[i + 1] = std::to_string(port_);
  }
  spawn(ready_timeout);
}

long router_process::rss_kb() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string router_process::stderr_tail(std::size_t max_bytes) const {
  std::ifstream in(stderr_path_, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (all.size() > max_bytes) all = "...\n" + all.substr(all.size() - max_bytes);
  return all;
}

}  // namespace clasp::test
