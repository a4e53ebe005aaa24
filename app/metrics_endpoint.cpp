// One short-lived actor per scrape gathers the snapshots one after the other
// (each bounded by a timeout), then renders them.
#include "app/metrics_endpoint.hpp"

#include <chrono>
#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/actor_types.hpp"
#include "app/metrics_render.hpp"
#include "app/peer_table.hpp"

namespace clasp::app {

namespace {

using reply_fn = std::function<void(transport::http_response)>;

struct scrape {
  metrics_sources sources;
  reply_fn reply;
  nlohmann::json store;
  nlohmann::json peers;
  nlohmann::json persistence;
};

void unavailable(const scrape& s, const std::string& what) {
  s.reply({503, "text/plain; charset=utf-8", "metrics unavailable: " + what + "\n"});
}

void finish(scrape& s) {
  if (s.sources.manager) s.peers = with_link_traffic(std::move(s.peers), s.store);
  metrics_snapshot snap{s.sources.router_id, s.sources.mode, &s.store,
                        s.sources.manager ? &s.peers : nullptr,
                        s.sources.persistence ? &s.persistence : nullptr};
  if (s.sources.io) snap.transport = s.sources.io->traffic();
  try {
    s.reply({200, metrics_content_type, render_metrics(snap)});
  } catch (const std::exception& e) {
    unavailable(s, std::string("cannot render the snapshots: ") + e.what());
  }
}

// Parses one source's JSON reply; on a parse error answers 503 and returns false.
bool take(scrape& s, nlohmann::json& into, const std::string& text, const char* source) {
  into = nlohmann::json::parse(text, nullptr, false);
  if (!into.is_discarded()) return true;
  unavailable(s, std::string(source) + " answered invalid JSON");
  return false;
}

void ask_persistence(caf::event_based_actor* self, std::shared_ptr<scrape> s) {
  if (!s->sources.persistence) return finish(*s);
  self->request(s->sources.persistence, s->sources.timeout, actors::stats_atom_v)
      .then(
          [s](std::string& json) {
            if (take(*s, s->persistence, json, "persistence")) finish(*s);
          },
          [s](caf::error& err) { unavailable(*s, "persistence: " + caf::to_string(err)); });
}

void ask_manager(caf::event_based_actor* self, std::shared_ptr<scrape> s) {
  if (!s->sources.manager) return ask_persistence(self, s);
  self->request(s->sources.manager, s->sources.timeout, actors::peers_atom_v)
      .then(
          [self, s](std::string& json) {
            if (take(*s, s->peers, json, "federation manager")) ask_persistence(self, s);
          },
          [s](caf::error& err) { unavailable(*s, "federation manager: " + caf::to_string(err)); });
}

}  // namespace

void serve_metrics(caf::actor_system& sys, metrics_sources sources, reply_fn reply) {
  auto s = std::make_shared<scrape>();
  s->sources = std::move(sources);
  s->reply = std::move(reply);
  sys.spawn([s](caf::event_based_actor* self) {
    self->request(s->sources.store, s->sources.timeout, actors::stats_atom_v)
        .then(
            [self, s](std::string& json) {
              if (take(*s, s->store, json, "state store")) ask_manager(self, s);
            },
            [s](caf::error& err) { unavailable(*s, "state store: " + caf::to_string(err)); });
  });
}

}  // namespace clasp::app
