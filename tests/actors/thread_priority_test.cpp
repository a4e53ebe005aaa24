// The thread hook lowers the shared scheduler's threads and leaves detached
// actors' threads (the store's among them) at the spawning thread's priority,
// so the store lock is never held by a lowered thread (see thread_priority.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include <caf/all.hpp>

#include "actors/actor_types.hpp"
#include "actors/thread_priority.hpp"

namespace clasp::actors {
namespace {

// Answers any int with the nice value of the thread it runs on (-100: unreadable).
caf::behavior report_nice() {
  return {[](int) { return current_thread_nice().value_or(-100); }};
}

TEST(ThreadPriority, SchedulerThreadsAreLoweredDetachedActorsKeepTheSpawnersPriority) {
  const auto base = current_thread_nice();
  ASSERT_TRUE(base.has_value());
  const int lowered = std::min(*base + 5, 19);
  ASSERT_GT(lowered, *base) << "the test process already runs at the lowest priority";

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::clasp_actors>();
  cfg.set("logger.console", caf::atom("none"));
  cfg.set("scheduler.max-threads", 2);
  cfg.add_thread_hook<actor_thread_priority>(lowered);
  caf::actor_system sys{cfg};

  auto ask = [&](const caf::actor& a) {
    int seen = -200;
    caf::scoped_actor self{sys};
    self->request(a, std::chrono::seconds(5), 1)
        .receive([&](int n) { seen = n; }, [&](const caf::error&) { seen = -300; });
    return seen;
  };
  EXPECT_EQ(ask(sys.spawn(report_nice)), lowered) << "a scheduled actor runs on a lowered thread";
  EXPECT_EQ(ask(sys.spawn<caf::detached>(report_nice)), *base)
      << "a detached actor (like the store) runs at the priority of the thread that spawned it";
}

}  // namespace
}  // namespace clasp::actors
