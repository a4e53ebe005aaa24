// Private to transport/: the io_context behind io_runtime, and the registry of
// live connections that must hear about a runtime stop.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "transport/io_runtime.hpp"

namespace clasp::transport {

// Something that must be told when the runtime stops (its handlers will never run again).
class runtime_member {
 public:
  virtual ~runtime_member() = default;
  virtual void on_runtime_stopped() = 0;
};

// Behind io_runtime::traffic(). Relaxed: totals for a scrape, not synchronisation.
struct traffic_counters {
  std::atomic<std::uint64_t> accepted{0}, closed{0}, upgrade_failures{0};
  std::atomic<std::uint64_t> bytes_received{0}, bytes_sent{0};
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
};

struct io_runtime::impl {
  boost::asio::io_context io;
  traffic_counters traffic;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::vector<std::thread> threads;

  std::mutex members_mutex;
  // Members stay listed until they are destroyed (their entry then expires), so
  // a closed connection that outlives the runtime still gives its sockets and
  // timers back while the io_context exists. Expired entries are swept as the
  // map grows.
  std::unordered_map<runtime_member*, std::weak_ptr<runtime_member>> members;
  std::size_t sweep_at = 64;
  bool stopped = false;
  // Set once stop() has joined the threads and taken the member list. A member
  // that joins while the stop is still under way (a connection its accept
  // handler starts then) is listed and released with the others.
  bool members_released = false;

  impl() : work(boost::asio::make_work_guard(io)) {}

  // False when stop() has already released the members: the caller must then
  // give back its own sockets and timers (the io_context still exists).
  bool add_member(const std::shared_ptr<runtime_member>& member) {
    std::lock_guard<std::mutex> lock(members_mutex);
    if (members_released) return false;
    if (members.size() >= sweep_at) {
      for (auto it = members.begin(); it != members.end();)
        it = it->second.expired() ? members.erase(it) : std::next(it);
      sweep_at = std::max<std::size_t>(64, 2 * members.size());
    }
    // Assigned, not emplaced: a new member may reuse a destroyed one's address.
    members[member.get()] = member;
    return true;
  }
};

}  // namespace clasp::transport
