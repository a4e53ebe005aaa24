// One SUBSCRIBE "/**" and a GET of an unknown address behind it: a session's
// operations are handled in order, so the GET's answer (201) comes after the
// whole subscription snapshot and marks its end.
#include "tests/support/router_state.hpp"

#include "tests/support/wire_client.hpp"

namespace clasp::test {

namespace {
constexpr const char* sentinel_address = "/router-state/sentinel";
}  // namespace

bool read_state(std::uint16_t port, router_state& out) {
  out.clear();
  wire_client c;
  if (!c.connect(port)) return false;
  msg::hello h;
  h.version = 1;
  h.features = client_features;
  h.name = "router-state-reader";
  if (!c.send(h) || !c.recv_until<msg::welcome>([](const msg::welcome&) { return true; }))
    return false;
  msg::subscribe s;
  s.id = 1;
  s.pattern = "/**";
  s.types = type_mask::all;
  msg::get g;
  g.address = sentinel_address;
  if (!c.send(s) || !c.send(g)) return false;
  for (;;) {
    auto m = c.recv();
    if (!m) return false;
    if (m->is<msg::error>()) {
      const auto& e = m->as<msg::error>();
      return e.address && *e.address == sentinel_address;
    }
    if (m->is<msg::snapshot>())
      for (const auto& p : m->as<msg::snapshot>().params) out[p.address] = {p.val, p.revision};
  }
}

}  // namespace clasp::test
