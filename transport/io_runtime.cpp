// Runs the io_context on its own threads; on stop tells every live connection,
// because their pending handlers will never run.
#include "transport/io_runtime.hpp"

#include "transport/io_runtime_impl.hpp"

namespace clasp::transport {

io_runtime::io_runtime(unsigned threads) : impl_(std::make_unique<impl>()) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i)
    impl_->threads.emplace_back([io = &impl_->io] { io->run(); });
}

io_runtime::~io_runtime() { stop(); }

traffic_totals io_runtime::traffic() const {
  const auto& t = impl_->traffic;
  constexpr auto relaxed = std::memory_order_relaxed;
  traffic_totals out;
  // Closed before accepted: a connection closed between the two loads never
  // shows as closed without having been accepted (open stays >= 0).
  out.connections_closed = t.closed.load(relaxed);
  out.connections_accepted = t.accepted.load(relaxed);
  out.upgrade_failures = t.upgrade_failures.load(relaxed);
  out.bytes_received = t.bytes_received.load(relaxed);
  out.bytes_sent = t.bytes_sent.load(relaxed);
  return out;
}

void io_runtime::stop() {
  std::vector<std::shared_ptr<runtime_member>> live;
  {
    std::lock_guard<std::mutex> lock(impl_->members_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) {
    // Stopping from one of our own threads: it cannot join itself.
    if (t.get_id() == std::this_thread::get_id())
      t.detach();
    else if (t.joinable())
      t.join();
  }
  {
    std::lock_guard<std::mutex> lock(impl_->members_mutex);
    for (auto& [raw, weak] : impl_->members)
      if (auto member = weak.lock()) live.push_back(std::move(member));
    impl_->members.clear();
    impl_->members_released = true;
  }
  for (auto& member : live) member->on_runtime_stopped();
}

}  // namespace clasp::transport
