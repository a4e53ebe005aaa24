// The random write load, the duplicate-counting subscribers and the
// convergence check of the mesh tests.
#include "tests/mesh/mesh_workload.hpp"

#include <chrono>
#include <sstream>
#include <thread>

namespace clasp::meshtest {

namespace {

// Pause between two convergence polls (not a synchronisation by itself).
constexpr millis poll_interval{100};
// Longer than the router's write-forward timeout, so 502 arrives before we give up.
constexpr millis write_reply_timeout{8000};

std::string owned_address(const node_spec& owner, std::size_t key) {
  return "/" + owner.id + "/k" + std::to_string(key);
}

}  // namespace

std::string to_string(const soak_counts& c) {
  std::ostringstream os;
  os << "writes acked " << c.writes_acked << ", refused (501/502) " << c.writes_refused
     << ", failed " << c.writes_failed << "; faults " << c.faults << "; deliveries " << c.deliveries
     << ", duplicates " << c.duplicates << ", regressions " << c.regressions << "; mismatches "
     << c.mismatches << ", revision losses " << c.revision_losses << " (+" << c.crash_losses
     << " acknowledged just before their memory-only owner was SIGKILLed)";
  return os.str();
}

mesh_workload::mesh_workload(mesh_cluster& cluster, std::uint64_t seed,
                             std::size_t keys_per_namespace)
    : cluster_(cluster),
      rng_(seed),
      keys_(keys_per_namespace),
      writers_(cluster.size()),
      subscribers_(cluster.size()) {
  for (std::size_t i = 0; i < cluster_.size(); ++i) connect(i);
}

void mesh_workload::connect(std::size_t i) {
  const auto port = cluster_.port(i);
  writers_[i] = fedtest::client_at(port, "mesh-writer");
  auto& s = subscribers_[i];
  s.client = fedtest::client_at(port, "mesh-subscriber");
  s.seen.clear();
  s.newest.clear();
  fedtest::subscribe_live(*s.client, 1, "/**", type_mask::param);
}

void mesh_workload::disconnect(std::size_t i) {
  if (subscribers_[i].client) take(subscribers_[i], millis(0));
  const std::string prefix = "/" + cluster_.spec(i).id + "/";
  for (const auto& [address, rev] : acked_)
    if (address.compare(0, prefix.size(), prefix) == 0) crash_exposed_.insert(address);
  writers_[i].reset();
  subscribers_[i].client.reset();
}

void mesh_workload::write(std::size_t n) {
  const auto owners = cluster_.owners();
  for (std::size_t done = 0; done < n; ++done) {
    std::size_t at = pick(cluster_.size());
    while (!cluster_.running(at)) at = (at + 1) % cluster_.size();
    const auto& owner = cluster_.spec(owners[pick(owners.size())]);
    const auto address = owned_address(owner, pick(keys_));
    auto reply = fedtest::set_reply(*writers_[at], fedtest::make_set(address, value(next_value_++)),
                                    write_reply_timeout);
    if (reply && reply->is<msg::ack>() && reply->as<msg::ack>().revision) {
      ++counts_.writes_acked;
      auto& newest = acked_[address];
      const revision_t rev = *reply->as<msg::ack>().revision;
      // After its owner restarted, a write may be numbered from a replica's
      // older copy, below revisions the killed run acknowledged and lost: the
      // address stays exposed to that crash until a write passes them.
      if (rev >= newest) crash_exposed_.erase(address);
      newest = std::max(newest, rev);
    } else if (reply && reply->is<msg::error>() &&
               (reply->as<msg::error>().code == error_code::unavailable ||
                reply->as<msg::error>().code == error_code::timeout)) {
      ++counts_.writes_refused;
    } else {
      ++counts_.writes_failed;
      ADD_FAILURE() << "SET " << address << " at " << cluster_.spec(at).id << ": "
                    << (reply ? test::describe(*reply) : std::string("no answer"));
    }
    if (done % 8 == 7) drain();
  }
  drain();
}

void mesh_workload::take(subscriber& s, millis window) {
  for (const auto& m : s.client->collect(window)) {
    if (!m.is<msg::set>()) continue;
    const auto& set = m.as<msg::set>();
    ++counts_.deliveries;
    const revision_t rev = set.revision.value_or(0);
    if (!s.seen.insert({set.address, rev}).second) {
      ++counts_.duplicates;
      ADD_FAILURE() << "duplicate delivery: " << set.address << " rev " << rev;
    }
    auto& newest = s.newest[set.address];
    if (rev < newest) {
      ++counts_.regressions;
      ADD_FAILURE() << "out-of-order delivery: " << set.address << " rev " << rev << " after rev "
                    << newest;
    }
    newest = std::max(newest, rev);
  }
}

void mesh_workload::drain(millis window) {
  for (std::size_t i = 0; i < subscribers_.size(); ++i) {
    auto& s = subscribers_[i];
    if (s.client) take(s, window);
  }
}

bool mesh_workload::converged(std::string* why, std::size_t* mismatches) {
  // The truth for each namespace is what its owner holds.
  router_state truth;
  std::vector<router_state> states(cluster_.size());
  for (std::size_t i = 0; i < cluster_.size(); ++i) {
    if (!cluster_.running(i)) continue;
    if (!read_state(cluster_.port(i), states[i])) {
      if (why) *why = cluster_.spec(i).id + " did not answer SUBSCRIBE /**";
      return false;
    }
  }
  for (auto o : cluster_.owners()) {
    const std::string prefix = "/" + cluster_.spec(o).id + "/";
    for (const auto& [address, entry] : states[o])
      if (address.compare(0, prefix.size(), prefix) == 0) truth[address] = entry;
  }
  std::size_t diff = 0;
  std::string first;
  auto note = [&](const std::string& text) {
    if (diff < 5) first += (first.empty() ? "" : "; ") + text;
    ++diff;
  };
  for (std::size_t i = 0; i < cluster_.size(); ++i) {
    if (!cluster_.running(i)) continue;
    const auto& id = cluster_.spec(i).id;
    for (const auto& [address, entry] : truth) {
      auto it = states[i].find(address);
      if (it == states[i].end())
        note(id + " lacks " + address);
      else if (it->second != entry)
        note(id + " holds " + address + " = " + clasp::to_string(it->second.first) + " rev " +
             std::to_string(it->second.second) + ", owner has " + clasp::to_string(entry.first) +
             " rev " + std::to_string(entry.second));
    }
    for (const auto& [address, entry] : states[i])
      if (!truth.count(address)) note(id + " holds " + address + ", which its owner does not");
  }
  std::size_t losses = 0, crash_losses = 0;
  counts_.first_revision_loss.clear();
  for (const auto& [address, rev] : acked_) {
    auto it = truth.find(address);
    if (it == truth.end() || it->second.second < rev) {
      const bool crash = crash_exposed_.count(address) > 0;
      ++(crash ? crash_losses : losses);
      if (!crash && counts_.first_revision_loss.empty())
        counts_.first_revision_loss =
            address + " acknowledged at rev " + std::to_string(rev) + ", its owner holds " +
            (it == truth.end() ? std::string("nothing") : "rev " + std::to_string(it->second.second));
    }
  }
  counts_.revision_losses = losses;
  counts_.crash_losses = crash_losses;
  if (mismatches) *mismatches = diff;
  if (why) *why = first;
  return diff == 0;
}

bool mesh_workload::wait_converged(millis timeout, std::string* why) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t diff = 0;
    const bool ok = converged(why, &diff);
    counts_.mismatches = diff;
    if (ok) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    drain();
    std::this_thread::sleep_for(poll_interval);
  }
}

}  // namespace clasp::meshtest
