// Issue 9 item 5: under steady writes at both leaves (own namespace and,
// forwarded to the owner, the other site's), kill each actor kind in turn,
// SIGKILL and restart each router, and stop a leaf past the link timeout.
// After each fault heals (links Active again, writers held) every router
// holds the same value and revision for every address and every ACKed write
// is there (outside the promised durability window before an owner's death).
// Prints one grep-able line:
//   fault-suite: acked=N faults=M mismatches=0 ...
// CLASP_FAULT_LONG=1: more rounds, every fault on every router;
// CLASP_FAULT_PLAN="registry@hub,sigkill@site-a,..." replays chosen faults.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tests/fault/convergence.hpp"
#include "tests/fault/fault_cluster.hpp"
#include "tests/fault/site_writer.hpp"

namespace clasp::faulttest {
namespace {

// Links back up after a fault; generous for a loaded two-core machine.
constexpr millis heal_timeout{30000};
// Routers agree after a fault: the sync on (re)connect must do it (FEDERATION.md
// guarantee 4), so this stays well below the 30 s anti-entropy interval.
constexpr millis agree_timeout{10000};
// "At once": a router that lost its store or persistence must be gone by then.
constexpr millis exit_timeout{3000};
// The hub closes a silent leaf's link after 10 s without a read, checked
// every 2 s (peer_link_actor.cpp); this leaves room for a slow machine.
constexpr millis silent_link_timeout{25000};
// Each writer gets this many more ACKs after a fault before the next one,
// so every fault meets live traffic and the routers serve again.
constexpr std::size_t acks_between_faults = 20;
// Pause between two polls of a condition (not a synchronisation by itself).
constexpr millis poll_interval{20};
constexpr std::size_t keys_per_site = 12;
// Exit code of a router whose store or persistence actor died (node_supervisor).
constexpr int critical_exit_code = 70;

bool long_run() {
  const char* s = std::getenv("CLASP_FAULT_LONG");
  return s && *s && std::string(s) != "0";
}

std::vector<std::string> keys(const std::string& prefix) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < keys_per_site; ++k) out.push_back(prefix + "k" + std::to_string(k));
  return out;
}

// Actor kinds of POST /admin/kill; a hub has no outbound links and so no
// link or reconnect supervisor actor (404).
const std::vector<std::string> actor_kinds{"link",    "session",    "registry",    "tracker",
                                           "manager", "supervisor", "persistence", "store"};
bool runs_actor(std::size_t router, const std::string& kind) {
  return router != fault_cluster::hub || (kind != "link" && kind != "supervisor");
}
bool ends_process(const std::string& kind) { return kind == "persistence" || kind == "store"; }

// The leaves whose link with the hub a fault at `router` must replace: all of
// them when the hub's side goes, the one leaf when its side goes; none for a
// tracker (the links stay and resync in full) or a leaf's client sessions.
std::vector<std::size_t> relinked_by(const std::string& fault, std::size_t router) {
  if (fault == "tracker") return {};
  if (fault == "session" && router != fault_cluster::hub) return {};
  if (router == fault_cluster::hub) return {fault_cluster::site_a, fault_cluster::site_b};
  return {router};
}

// One fault: an actor kind for POST /admin/kill, or "sigkill" (then a
// restart) or "sigstop" (past the link timeout, then SIGCONT), at a router.
struct fault_step {
  std::string fault;
  std::size_t router;
};

const std::vector<std::string> router_names{"hub", "site-a", "site-b"};

// CLASP_FAULT_PLAN="registry@hub,sigkill@site-a" replays chosen faults.
std::vector<fault_step> parse_plan(const std::string& text) {
  std::vector<fault_step> plan;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const auto item = text.substr(start, end - start);
    const auto at = item.find('@');
    for (std::size_t r = 0; at != std::string::npos && r < router_names.size(); ++r)
      if (item.substr(at + 1) == router_names[r]) plan.push_back({item.substr(0, at), r});
    start = end + 1;
  }
  return plan;
}

std::vector<fault_step> fault_plan() {
  using c = fault_cluster;
  if (const char* chosen = std::getenv("CLASP_FAULT_PLAN")) return parse_plan(chosen);
  std::vector<fault_step> plan;
  if (!long_run()) {
    // Each actor kind at one leaf (site-a and site-b in turn) and at the hub
    // where it runs one; then each router SIGKILLed; then site-a stopped.
    std::size_t leaf = c::site_a;
    for (const auto& kind : actor_kinds) {
      plan.push_back({kind, leaf});
      if (runs_actor(c::hub, kind)) plan.push_back({kind, c::hub});
      leaf = leaf == c::site_a ? c::site_b : c::site_a;
    }
    for (auto r : {c::hub, c::site_a, c::site_b}) plan.push_back({"sigkill", r});
    plan.push_back({"sigstop", c::site_a});
    return plan;
  }
  // Every fault on every router (a hub without link and supervisor actors
  // must answer 404), three rounds, the leaves stopped in turn.
  constexpr std::size_t rounds = 3;
  for (std::size_t round = 0; round < rounds; ++round) {
    for (const auto& kind : actor_kinds)
      for (auto r : {c::hub, c::site_a, c::site_b}) plan.push_back({kind, r});
    for (auto r : {c::hub, c::site_a, c::site_b}) plan.push_back({"sigkill", r});
    plan.push_back({"sigstop", round % 2 == 0 ? c::site_a : c::site_b});
  }
  return plan;
}

class fault_suite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(data_.path().empty()) << "no temporary directory";
    cluster_ = std::make_unique<fault_cluster>(data_.path());
    const auto a = cluster_->owned_prefix(fault_cluster::site_a);
    const auto b = cluster_->owned_prefix(fault_cluster::site_b);
    writers_.push_back(std::make_unique<site_writer>(
        "writer-a", cluster_->port(fault_cluster::site_a), keys(a), keys(b), 1'000'000'000, ledger_));
    writers_.push_back(std::make_unique<site_writer>(
        "writer-b", cluster_->port(fault_cluster::site_b), keys(b), keys(a), 2'000'000'000, ledger_));
    for (auto& w : writers_) w->start();
    begin_fault("start");
    wait_for_writes("start");
  }

  void TearDown() override {
    for (auto& w : writers_) w->stop();
  }

  void inject(const fault_step& step) {
    if (step.fault == "sigkill")
      sigkill_and_restart(step.router);
    else if (step.fault == "sigstop")
      stop_past_link_timeout(step.router);
    else
      kill_actor(step.fault, step.router);
  }

  std::size_t writer_of(std::size_t router) const { return router == fault_cluster::site_a ? 0 : 1; }

  // Bounded wait until the writers at `routers` (leaves) each got
  // acks_between_faults more ACKs than they had when it was called.
  bool wait_acks(const std::vector<std::size_t>& routers, millis timeout) {
    std::vector<std::size_t> target;
    for (auto r : routers) target.push_back(writers_[writer_of(r)]->counts().acked + acks_between_faults);
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
      bool all = true;
      for (std::size_t i = 0; i < routers.size(); ++i)
        all = all && writers_[writer_of(routers[i])]->counts().acked >= target[i];
      if (all) return true;
      if (clock_type::now() >= deadline) return false;
      std::this_thread::sleep_for(poll_interval);
    }
  }

  // After a fault: both writers are ACKed again, every link is Active, and
  // the hub's links with the leaves in `relinked` are new connections.
  void wait_for_writes(const std::string& after, const std::vector<std::size_t>& relinked = {}) {
    EXPECT_TRUE(wait_acks({fault_cluster::site_a, fault_cluster::site_b}, heal_timeout))
        << "the writers got no ACKs after " << after << ": " << counts_text();
    std::string why;
    const auto deadline = clock_type::now() + heal_timeout;
    for (;;) {
      bool healed = cluster_->links_active(&why);
      for (auto leaf : relinked) {
        const auto now = cluster_->hub_connection_of(leaf);
        if (now.empty() || now == connection_before_[leaf]) {
          healed = false;
          why = "the hub still has its old link with " + cluster_->name(leaf) + " (" + now + ")";
        }
      }
      if (healed) break;
      if (clock_type::now() >= deadline) {
        ADD_FAILURE() << "links did not come back after " << after << ": " << why;
        break;
      }
      std::this_thread::sleep_for(poll_interval);
    }
    std::cout << "  " << after << ": healed after "
              << std::chrono::duration_cast<millis>(clock_type::now() - fault_began_).count()
              << " ms; " << counts_text() << std::endl;
    expect_agreement(after);
  }

  void begin_fault(const std::string& what) {
    std::cout << what << std::endl;
    for (std::size_t i = 0; i < cluster_->size(); ++i)
      connection_before_[i] = i == fault_cluster::hub ? "" : cluster_->hub_connection_of(i);
    fault_began_ = clock_type::now();
  }

  void kill_actor(const std::string& kind, std::size_t router) {
    const std::string what = "kill " + kind + " at " + cluster_->name(router);
    begin_fault(what);
    const auto died_from = clock_type::now();
    const auto r = cluster_->kill_actor(router, kind);
    const int expected = runs_actor(router, kind) ? 200 : 404;
    std::cout << "  " << r.status << " " << r.body << std::endl;
    ASSERT_EQ(r.status, expected) << what << ": " << r.error << " " << r.body;
    if (expected != 200) return;
    ++faults_;
    const auto clients_before = router == fault_cluster::hub ? 0 : writers_[writer_of(router)]->counts().connects;
    if (ends_process(kind)) {
      // Never a router that accepts connections and does nothing.
      const auto status = cluster_->router(router).wait_exit(exit_timeout);
      ASSERT_TRUE(status.has_value()) << cluster_->name(router) << " still running "
                                      << exit_timeout.count() << " ms after losing its " << kind;
      EXPECT_EQ(test::exit_code_of(*status), critical_exit_code)
          << cluster_->name(router) << " after losing its " << kind << "\n"
          << cluster_->router(router).stderr_tail(2000);
      restart_after_death(router, died_from);
    }
    wait_for_writes(what, relinked_by(kind, router));
    if (kind == "session" && router != fault_cluster::hub) {
      EXPECT_GT(writers_[writer_of(router)]->counts().connects, clients_before)
          << what << " did not close the writer's session";
    }
  }

  void sigkill_and_restart(std::size_t router) {
    const std::string what = "SIGKILL " + cluster_->name(router);
    begin_fault(what);
    const auto died_from = clock_type::now();
    cluster_->kill9(router);
    ++faults_;
    // Writes go on at the routers still running (their own namespaces at least).
    std::vector<std::size_t> others;
    for (auto leaf : {fault_cluster::site_a, fault_cluster::site_b})
      if (leaf != router) others.push_back(leaf);
    EXPECT_TRUE(wait_acks(others, heal_timeout)) << "no writes while " << cluster_->name(router)
                                                 << " was down: " << counts_text();
    restart_after_death(router, died_from);
    wait_for_writes(what, relinked_by("process", router));
  }

  // The router died abruptly at some moment from `died_from` on: restart it
  // with the same arguments (and data directory); ACKs its namespace got
  // inside the durability window before the death are excused.
  void restart_after_death(std::size_t router, clock_type::time_point died_from) {
    if (router != fault_cluster::hub)
      ledger_.owner_died(cluster_->owned_prefix(router), died_from, clock_type::now());
    cluster_->restart(router);
  }

  void stop_past_link_timeout(std::size_t leaf) {
    const std::string what = "SIGSTOP " + cluster_->name(leaf) + " past the link timeout";
    begin_fault(what);
    cluster_->stop(leaf);
    ++faults_;
    std::string why;
    const bool dropped = cluster_->wait_hub_dropped(leaf, silent_link_timeout, &why);
    cluster_->resume(leaf);
    std::cout << "  the hub dropped it after "
              << std::chrono::duration_cast<millis>(clock_type::now() - fault_began_).count()
              << " ms" << std::endl;
    ASSERT_TRUE(dropped) << "the hub still lists the stopped " << cluster_->name(leaf)
                         << " Active after " << silent_link_timeout.count() << " ms: " << why;
    wait_for_writes(what, {leaf});
  }

  writer_counts total_counts() const {
    writer_counts t;
    for (const auto& w : writers_) {
      const auto c = w->counts();
      t.acked += c.acked;
      t.cross_acked += c.cross_acked;
      t.refused += c.refused;
      t.unanswered += c.unanswered;
      t.connects += c.connects;
      t.unexpected += c.unexpected;
    }
    return t;
  }

  std::string counts_text() const {
    std::string s;
    for (const auto& w : writers_) {
      const auto c = w->counts();
      s += w->name() + " acked " + std::to_string(c.acked) + " refused " + std::to_string(c.refused) +
           " unanswered " + std::to_string(c.unanswered) + "; ";
    }
    return s;
  }

  // Waits (bounded) for healed links and agreeing routers that hold every
  // ACKed write; the last comparison, or nullopt if a router did not answer.
  // `first` gets the first comparison that found a problem, if any.
  std::optional<convergence_report> compare_routers(std::string* why,
                                                    std::optional<convergence_report>* first) {
    std::optional<convergence_report> report;
    if (!cluster_->wait_links_active(heal_timeout, why)) return report;
    const auto deadline = clock_type::now() + agree_timeout;
    for (;;) {
      std::vector<test::router_state> states;
      if (cluster_->read_states(states, why)) {
        std::vector<named_state> named;
        for (std::size_t i = 0; i < cluster_->size(); ++i) named.push_back({cluster_->name(i), states[i]});
        report = check_convergence(named, ledger_);
        if (report->mismatches() == 0) return report;
        if (!*first) *first = report;
      }
      if (clock_type::now() >= deadline) return report;
      std::this_thread::sleep_for(millis(100));
    }
  }

  // After each fault: with the writers held, the routers must agree (a gap
  // left by one fault must not be hidden by the resync of a later one).
  void expect_agreement(const std::string& after) {
    for (auto& w : writers_) w->pause();
    const auto began = clock_type::now();
    std::string why;
    std::optional<convergence_report> first;
    const auto report = compare_routers(&why, &first);
    ++checks_;
    if (!report) {
      ADD_FAILURE() << "after " << after << ": no comparison (" << why << ")";
    } else {
      mismatches_ += report->mismatches();
      excused_ = report->excused;
      excused_lost_ = report->excused_lost;
      EXPECT_EQ(report->mismatches(), 0u) << "after " << after << ": " << describe(*report);
      std::cout << "  compared after "
                << std::chrono::duration_cast<millis>(clock_type::now() - began).count() << " ms"
                << (first ? "; first look: " + describe(*first) : std::string()) << std::endl;
    }
    for (auto& w : writers_) w->resume();
  }

  // The summary line; every check's mismatches count.
  void report_and_check() {
    for (auto& w : writers_) w->stop();
    const auto t = total_counts();
    std::cout << "fault-suite: acked=" << t.acked << " faults=" << faults_
              << " mismatches=" << mismatches_ << " checks=" << checks_
              << " cross_acked=" << t.cross_acked << " refused=" << t.refused
              << " unanswered=" << t.unanswered << " reconnects=" << (t.connects - writers_.size())
              << " excused=" << excused_ << " excused_lost=" << excused_lost_ << std::endl;
    EXPECT_EQ(mismatches_, 0u);
    EXPECT_GT(t.acked, 0u);
    EXPECT_GT(t.cross_acked, 0u) << "no forwarded write was ACKed: the cross-site path proved nothing";
    EXPECT_EQ(t.unexpected, 0u);
    for (const auto& w : writers_)
      for (const auto& text : w->unexpected_answers()) ADD_FAILURE() << "unexpected answer: " << text;
  }

  test::temp_dir data_{"clasp_fault"};
  std::unique_ptr<fault_cluster> cluster_;
  write_ledger ledger_;
  std::vector<std::unique_ptr<site_writer>> writers_;
  std::size_t faults_ = 0;
  std::size_t checks_ = 0;      // comparisons of the routers, one after each fault
  std::size_t mismatches_ = 0;  // summed over every comparison
  std::size_t excused_ = 0, excused_lost_ = 0;  // as of the last comparison
  clock_type::time_point fault_began_ = clock_type::now();
  std::string connection_before_[3];  // hub_connection_of each leaf when the fault began
};

TEST_F(fault_suite, every_router_agrees_and_keeps_every_acked_write) {
  const auto plan = fault_plan();
  ASSERT_FALSE(plan.empty()) << "CLASP_FAULT_PLAN names no fault";
  for (const auto& step : plan) {
    inject(step);
    if (HasFatalFailure()) return;
  }
  report_and_check();
}

}  // namespace
}  // namespace clasp::faulttest
