// Per-thread nice values; see thread_priority.hpp.
#include "actors/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace clasp::actors {

bool set_current_thread_nice(int nice_value) {
  // On Linux, PRIO_PROCESS with a thread id changes that thread only.
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  return ::setpriority(PRIO_PROCESS, tid, nice_value) == 0;
}

}  // namespace clasp::actors
