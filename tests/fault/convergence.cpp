// Comparing the routers' states with each other and with the ledger.
#include "tests/fault/convergence.hpp"

#include <set>
#include <sstream>

namespace clasp::faulttest {

namespace {

constexpr std::size_t max_examples = 8;

std::string entry_text(const test::router_state& s, const std::string& address) {
  auto it = s.find(address);
  if (it == s.end()) return "absent";
  return clasp::to_string(it->second.first) + " rev " + std::to_string(it->second.second);
}

void note(convergence_report& r, std::string text) {
  if (r.examples.size() < max_examples) r.examples.push_back(std::move(text));
}

void check_agreement(const std::vector<named_state>& routers, convergence_report& r) {
  std::set<std::string> addresses;
  for (const auto& n : routers)
    for (const auto& [address, entry] : n.state) addresses.insert(address);
  for (const auto& address : addresses) {
    bool agree = true;
    for (std::size_t i = 1; i < routers.size() && agree; ++i)
      agree = entry_text(routers[i].state, address) == entry_text(routers[0].state, address);
    if (agree) continue;
    ++r.divergent;
    std::string text = address + ":";
    for (const auto& n : routers) text += " " + n.router + " " + entry_text(n.state, address) + ";";
    note(r, text);
  }
}

// The router holds `w` or a later write of its address.
bool holds(const test::router_state& s, const std::string& address, const acked_write& w) {
  auto it = s.find(address);
  return it != s.end() && (it->second.second > w.revision ||
                           (it->second.second == w.revision && it->second.first == value(w.value)));
}

void check_writes(const named_state& n, const std::string& address, const address_record& rec,
                  convergence_report& r) {
  auto it = n.state.find(address);
  if (it != n.state.end()) {
    const auto* held = std::get_if<std::int64_t>(&it->second.first.data);
    if (!held || !rec.sent.count(*held)) {
      ++r.foreign;
      note(r, n.router + " holds " + address + " = " + entry_text(n.state, address) +
                  ", a value no writer sent there");
    }
  }
  for (const auto& w : rec.promised) {
    if (holds(n.state, address, w)) continue;
    ++r.lost;
    note(r, n.router + " holds " + address + " " + entry_text(n.state, address) +
                ", but the ACKed write " + std::to_string(w.value) + " rev " +
                std::to_string(w.revision) + " is not there");
    return;  // one loss per (router, address) is enough to say
  }
}

}  // namespace

convergence_report check_convergence(const std::vector<named_state>& routers,
                                     const write_ledger& ledger) {
  convergence_report r;
  check_agreement(routers, r);
  for (const auto& [address, rec] : ledger.records()) {
    for (const auto& n : routers) check_writes(n, address, rec, r);
    r.excused += rec.excused.size();
    for (const auto& w : rec.excused)
      for (const auto& n : routers)
        if (!holds(n.state, address, w)) {
          ++r.excused_lost;
          break;
        }
  }
  return r;
}

std::string describe(const convergence_report& r) {
  std::ostringstream os;
  os << "divergent " << r.divergent << ", lost " << r.lost << ", foreign " << r.foreign
     << ", excused " << r.excused << " (not held: " << r.excused_lost << ")";
  for (const auto& e : r.examples) os << "\n  " << e;
  return os.str();
}

}  // namespace clasp::faulttest
