// Per-thread nice values; see thread_priority.hpp.
#include "actors/thread_priority.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace clasp::actors {

namespace {
id_t current_tid() { return static_cast<id_t>(::syscall(SYS_gettid)); }
}  // namespace

bool set_current_thread_nice(int nice_value) {
  // On Linux, PRIO_PROCESS with a thread id changes that thread only.
  return ::setpriority(PRIO_PROCESS, current_tid(), nice_value) == 0;
}

std::optional<int> current_thread_nice() {
  errno = 0;  // -1 is a valid nice value: only errno tells a failure
  const int nice_value = ::getpriority(PRIO_PROCESS, current_tid());
  if (errno != 0) return std::nullopt;
  return nice_value;
}

bool on_detached_actor_thread() {
  char name[16] = {};
  if (::pthread_getname_np(::pthread_self(), name, sizeof(name)) != 0) return false;
  // CAF 0.17 names a detached actor's private thread so before the thread hook runs.
  return std::strcmp(name, "caf.actor") == 0;
}

}  // namespace clasp::actors
