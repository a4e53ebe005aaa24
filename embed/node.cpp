// node: run_router on a thread of its own, driven through its hooks; queries go
// through the federation facade while the router runs.
#include "clasp_federation/node.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include <caf/all.hpp>
#include <caf/logger.hpp>

#include "actors/actor_types.hpp"
#include "actors/federation/federation_facade.hpp"
#include "app/router_node.hpp"
#include "clasp_federation/actor_handles.hpp"
#include "embed/link_watcher.hpp"
#include "embed/server_options_from_config.hpp"

namespace clasp_federation {

namespace {

enum class phase { starting, running, stopped };

// CAF pins its logger in a thread-local of every thread that spawns an actor or
// makes a scoped_actor, and ~actor_system waits until that reference is gone. A
// host thread that queried the node must therefore let go when it is done.
struct host_thread_scope {
  host_thread_scope() = default;
  host_thread_scope(const host_thread_scope&) = delete;
  host_thread_scope& operator=(const host_thread_scope&) = delete;
  ~host_thread_scope() { release_caf_thread_state(); }
};

}  // namespace

void release_caf_thread_state() { caf::logger::set_current_actor_system(nullptr); }

struct node::impl {
  federation_mode mode = federation_mode::standalone;
  std::string bind;
  std::thread router_thread;

  // Lifecycle, shared with the router thread.
  std::mutex lifecycle_mutex;
  std::condition_variable lifecycle_changed;
  phase current = phase::starting;
  bool stop_requested = false;
  int exit_code = 0;

  // What the running router handed us. Queries hold `handles_mutex` shared;
  // on_stopping takes it exclusively, so the system never ends under a query.
  mutable std::shared_mutex handles_mutex;
  caf::actor_system* sys = nullptr;
  clasp::actors::state_store_actor store;
  // The manager running now (the node supervisor restarts it when it ends).
  std::function<clasp::actors::federation_manager_actor()> current_manager;
  std::uint16_t port = 0;
  std::string router_id;
  std::chrono::milliseconds query_timeout{3000};
  std::vector<std::pair<std::shared_ptr<link_subscription::shared_state>, caf::actor>> watchers;

  void on_ready(const clasp::app::running_router& r) {
    {
      std::unique_lock<std::shared_mutex> lock(handles_mutex);
      sys = &r.sys;
      store = r.store;
      current_manager = r.current_manager;
      if (!current_manager) current_manager = [m = r.manager] { return m; };
      port = r.port;
      router_id = r.router_id;
    }
    std::lock_guard<std::mutex> lock(lifecycle_mutex);
    current = phase::running;
    lifecycle_changed.notify_all();
  }

  void wait_for_stop() {
    std::unique_lock<std::mutex> lock(lifecycle_mutex);
    lifecycle_changed.wait(lock, [this] { return stop_requested; });
  }

  // Before the router ends its actors: no query, watcher or handle may outlive them.
  // A running callback may still finish (its subscription's mutex is not taken
  // here: the callback may be waiting for a query, i.e. for handles_mutex).
  void on_stopping() {
    std::unique_lock<std::shared_mutex> lock(handles_mutex);
    for (auto& [sub, watcher] : watchers) {
      sub->cancelled = true;
      caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    }
    watchers.clear();
    sys = nullptr;
    store = nullptr;
    current_manager = nullptr;
  }

  void router_finished(int code) {
    std::lock_guard<std::mutex> lock(lifecycle_mutex);
    exit_code = code;
    current = phase::stopped;
    lifecycle_changed.notify_all();
  }

  template <class T, class Query>
  result<T> query(Query&& ask) const {
    std::shared_lock<std::shared_mutex> lock(handles_mutex);
    if (!sys) return result<T>::failure("the router is not running");
    host_thread_scope host;
    clasp::actors::federation_facade facade(*sys, current_manager(), query_timeout);
    auto answer = ask(facade);
    if (!answer) return result<T>::failure(answer.error());
    return result<T>::success(*answer);
  }
};

link_subscription::link_subscription(std::shared_ptr<shared_state> state)
    : state_(std::move(state)) {}

link_subscription& link_subscription::operator=(link_subscription&& other) noexcept {
  if (this != &other) {
    cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}

link_subscription::~link_subscription() { cancel(); }

void link_subscription::cancel() {
  if (!state_) return;
  {
    std::lock_guard<std::recursive_mutex> lock(state_->mutex);
    state_->cancelled = true;  // the watcher sees it on its next tick and ends
  }
  state_.reset();
}

bool link_subscription::active() const { return state_ && !state_->cancelled; }

node::node(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

node::~node() { stop(); }

result<std::unique_ptr<node>> node::start(const node_config& config,
                                          std::chrono::milliseconds timeout) {
  using started = result<std::unique_ptr<node>>;
  std::string error;
  auto options = detail::server_options_from_config(config, error);
  if (!options) return started::failure("invalid node_config: " + error);

  auto state = std::make_unique<impl>();
  state->mode = config.federation.mode;
  state->bind = config.bind;
  auto* raw = state.get();
  clasp::app::router_hooks hooks;
  hooks.on_ready = [raw](const clasp::app::running_router& r) { raw->on_ready(r); };
  hooks.wait_for_stop = [raw] { raw->wait_for_stop(); };
  hooks.on_stopping = [raw] { raw->on_stopping(); };
  raw->router_thread = std::thread([raw, options = std::move(*options), hooks] {
    raw->router_finished(clasp::app::run_router(options, hooks));
  });

  std::unique_ptr<node> n(new node(std::move(state)));
  std::unique_lock<std::mutex> lock(raw->lifecycle_mutex);
  bool settled = raw->lifecycle_changed.wait_for(lock, timeout,
                                                 [raw] { return raw->current != phase::starting; });
  if (settled && raw->current == phase::running) return started::success(std::move(n));
  const bool exited = raw->current == phase::stopped;
  lock.unlock();
  n->stop();
  if (exited)
    return started::failure("the router could not start (exit code " +
                            std::to_string(raw->exit_code) +
                            "; the log says why, e.g. the port is in use)");
  return started::failure("the router did not start within " + std::to_string(timeout.count()) +
                          " ms");
}

void node::stop() {
  release_caf_thread_state();
  {
    std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
    impl_->stop_requested = true;
    impl_->lifecycle_changed.notify_all();
  }
  if (impl_->router_thread.joinable()) impl_->router_thread.join();
}

bool node::running() const {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
  return impl_->current == phase::running && !impl_->stop_requested;
}

std::uint16_t node::port() const { return impl_->port; }

std::string node::url() const {
  const bool any = impl_->bind == "0.0.0.0" || impl_->bind == "::" || impl_->bind.empty();
  return "ws://" + (any ? std::string("127.0.0.1") : impl_->bind) + ":" +
         std::to_string(impl_->port);
}

const std::string& node::router_id() const { return impl_->router_id; }

federation_mode node::mode() const { return impl_->mode; }

void node::set_query_timeout(std::chrono::milliseconds timeout) {
  std::unique_lock<std::shared_mutex> lock(impl_->handles_mutex);
  impl_->query_timeout = timeout;
}

result<std::vector<std::string>> node::active_peers() const {
  return impl_->query<std::vector<std::string>>([](auto& f) { return f.active_peers(); });
}

result<std::uint32_t> node::peer_count() const {
  return impl_->query<std::uint32_t>([](auto& f) { return f.peer_count(); });
}

result<std::optional<peer_summary>> node::peer_info(const std::string& router_id) const {
  using answer = result<std::optional<peer_summary>>;
  auto row = impl_->query<std::optional<clasp::actors::peer_summary>>(
      [&](auto& f) { return f.peer_info(router_id); });
  if (!row) return answer::failure(row.error());
  if (!*row) return answer::success(std::nullopt);
  const auto& r = **row;
  return answer::success(peer_summary{r.router_id, r.state, r.namespaces, r.outbound, r.endpoint,
                                      r.reconnect_attempts, r.last_error});
}

result<bool> node::should_forward(const std::string& address, const std::string& origin) const {
  return impl_->query<bool>([&](auto& f) { return f.should_forward(address, origin); });
}

result<std::vector<std::string>> node::peers_for_address(const std::string& address,
                                                         const std::string& origin) const {
  return impl_->query<std::vector<std::string>>(
      [&](auto& f) { return f.peers_for_address(address, origin); });
}

link_subscription node::subscribe_link_events(std::function<void(const link_event&)> on_event) {
  auto sub = std::make_shared<link_subscription::shared_state>();
  sub->on_event = std::move(on_event);
  std::unique_lock<std::shared_mutex> lock(impl_->handles_mutex);
  if (!impl_->sys || !impl_->current_manager || !impl_->current_manager() || !sub->on_event) {
    sub->cancelled = true;  // stopped, standalone or no callback: an inactive subscription
    return link_subscription{sub};
  }
  host_thread_scope host;
  auto watcher = detail::spawn_link_watcher(*impl_->sys, impl_->current_manager, sub);
  // Forget watchers whose subscription ended, so a host that subscribes often stays small.
  auto& w = impl_->watchers;
  w.erase(
      std::remove_if(w.begin(), w.end(), [](auto& entry) { return entry.first->cancelled.load(); }),
      w.end());
  w.emplace_back(sub, std::move(watcher));
  return link_subscription{sub};
}

caf::actor_system* actor_system_of(const node& n) {
  std::shared_lock<std::shared_mutex> lock(n.internals().handles_mutex);
  return n.internals().sys;
}

clasp::actors::federation_manager_actor manager_of(const node& n) {
  std::shared_lock<std::shared_mutex> lock(n.internals().handles_mutex);
  const auto& current = n.internals().current_manager;
  return current ? current() : clasp::actors::federation_manager_actor{};
}

clasp::actors::state_store_actor store_of(const node& n) {
  std::shared_lock<std::shared_mutex> lock(n.internals().handles_mutex);
  return n.internals().store;
}

}  // namespace clasp_federation
