// Short human-readable renderings of messages for test failure output.
#include <sstream>

#include "tests/support/wire_client.hpp"

namespace clasp::test {

namespace {

struct describer {
  std::ostringstream& out;

  void operator()(const msg::welcome& m) {
    out << " session='" << m.session << "' name='" << m.name << "'";
  }
  void operator()(const msg::set& m) {
    out << " " << m.address << " = " << to_string(m.val);
    if (m.revision) out << " rev " << *m.revision;
    if (m.lock) out << " lock";
    if (m.unlock) out << " unlock";
  }
  void operator()(const msg::publish& m) {
    out << " signal " << static_cast<int>(m.signal) << " " << m.address;
    if (m.val) out << " = " << to_string(*m.val);
  }
  void operator()(const msg::snapshot& m) {
    out << " " << m.params.size() << " params";
    for (std::size_t i = 0; i < m.params.size() && i < 3; ++i) {
      out << (i ? ", " : ": ") << m.params[i].address << " = " << to_string(m.params[i].val)
          << " rev " << m.params[i].revision;
    }
    if (m.params.size() > 3) out << ", ...";
  }
  void operator()(const msg::ack& m) {
    if (m.address) out << " " << *m.address;
    if (m.revision) out << " rev " << *m.revision;
    if (m.locked) out << " locked=" << *m.locked;
  }
  void operator()(const msg::error& m) {
    out << " " << m.code << " '" << m.message << "'";
    if (m.address) out << " at " << *m.address;
  }
  void operator()(const msg::subscribe& m) { out << " #" << m.id << " " << m.pattern; }
  void operator()(const msg::get& m) { out << " " << m.address; }
  void operator()(const msg::query& m) { out << " " << m.pattern; }
  void operator()(const msg::result& m) { out << " " << m.signals.size() << " signals"; }
  void operator()(const msg::bundle& m) { out << " of " << m.messages.size(); }
  void operator()(const msg::sync& m) { out << " t1=" << m.t1; }
  template <class T>
  void operator()(const T&) {}
};

}  // namespace

std::string describe(const message& m) {
  std::ostringstream out;
  out << to_string(m.type());
  std::visit(describer{out}, m.body);
  return out.str();
}

}  // namespace clasp::test
