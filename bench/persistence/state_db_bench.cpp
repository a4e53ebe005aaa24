// Commit throughput of the state database (rows/s): batches of params staged,
// then committed in one transaction, for new params (a fill) and overwrites of
// params already stored, each timed over the commits alone, with the WAL
// checkpointed once a second like the router does; then the persistence
// actor's path: batches appended to the change log (timed alone), then the
// log applied to the database. Not part of ctest: run it by hand (bench/README.md).
//
//   state_db_bench [--params N] [--batch B] [--dir DIR]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "actors/router/state_db.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  std::size_t params = 1'000'000;
  std::size_t batch = 2000;
  std::string dir;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--params")) o.params = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--batch")) o.batch = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--dir")) o.dir = argv[i + 1];
  }
  return o;
}

// The fill scenario's addresses and values: /site-a/p/<i>, an f64.
clasp::router::param_record record_for(std::size_t i, std::uint64_t seq, double v,
                                       const clasp::router::writer_name& writer) {
  clasp::router::param_record rec;
  rec.val = v;
  rec.revision = seq;
  rec.writer.share(writer);
  rec.timestamp_us = 1'700'000'000'000'000ull + i;
  rec.seq = seq;
  return rec;
}

struct pass_result {
  double commit_seconds = 0;
  double stage_seconds = 0;
  double checkpoint_seconds = 0;
};

// Writes params [0, n) once, in batches; `round` changes the values.
pass_result write_all(clasp::router::state_db& db, const options& o, int round,
                      std::uint64_t& seq) {
  pass_result r;
  clasp::router::writer_name writer("a1b2c3d4-1");
  auto last_checkpoint = clock_type::now();
  for (std::size_t first = 0; first < o.params; first += o.batch) {
    const std::size_t last = std::min(o.params, first + o.batch);
    const auto t0 = clock_type::now();
    for (std::size_t i = first; i < last; ++i)
      db.stage_param("/site-a/p/" + std::to_string(i), record_for(i, ++seq, i + round * 0.5, writer));
    const auto t1 = clock_type::now();
    std::string error;
    if (!db.commit(&error)) {
      std::fprintf(stderr, "commit failed: %s\n", error.c_str());
      std::exit(1);
    }
    const auto t2 = clock_type::now();
    r.stage_seconds += std::chrono::duration<double>(t1 - t0).count();
    r.commit_seconds += std::chrono::duration<double>(t2 - t1).count();
    if (t2 - last_checkpoint >= std::chrono::seconds(1)) {
      db.sync_to_disk(&error);
      const auto t3 = clock_type::now();
      r.checkpoint_seconds += std::chrono::duration<double>(t3 - t2).count();
      last_checkpoint = t3;
    }
  }
  return r;
}

// The persistence actor's fast path: params [0, n) appended to the change
// log in batches (what an ACK waits for), then applied to the database.
pass_result log_then_apply(clasp::router::state_db& db, const options& o, std::uint64_t& seq,
                           double& apply_seconds) {
  pass_result r;
  clasp::router::writer_name writer("a1b2c3d4-1");
  std::vector<std::pair<std::string, clasp::router::param_record>> batch;
  for (std::size_t first = 0; first < o.params; first += o.batch) {
    const std::size_t last = std::min(o.params, first + o.batch);
    const auto t0 = clock_type::now();
    batch.clear();
    for (std::size_t i = first; i < last; ++i)
      batch.emplace_back("/site-b/p/" + std::to_string(i), record_for(i, ++seq, i * 0.25, writer));
    const auto t1 = clock_type::now();
    std::string error;
    if (!db.log_batch(batch, {}, {}, 0, 0, &error)) {
      std::fprintf(stderr, "log append failed: %s\n", error.c_str());
      std::exit(1);
    }
    r.stage_seconds += std::chrono::duration<double>(t1 - t0).count();
    r.commit_seconds += std::chrono::duration<double>(clock_type::now() - t1).count();
  }
  const auto t0 = clock_type::now();
  std::string error;
  while (db.log_backlog_bytes() > 0)
    if (!db.apply_logged(o.batch, &error)) {
      std::fprintf(stderr, "apply failed: %s\n", error.c_str());
      std::exit(1);
    }
  apply_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return r;
}

void report(const char* what, const options& o, const pass_result& r) {
  const double total = r.stage_seconds + r.commit_seconds + r.checkpoint_seconds;
  std::printf(
      "RESULT %s params=%zu batch=%zu commit_rows_per_s=%.0f total_rows_per_s=%.0f "
      "stage_s=%.3f commit_s=%.3f checkpoint_s=%.3f\n",
      what, o.params, o.batch, o.params / r.commit_seconds, o.params / total, r.stage_seconds,
      r.commit_seconds, r.checkpoint_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse(argc, argv);
  std::string dir = o.dir;
  if (dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "state_db_bench_XXXXXX").string();
    if (!mkdtemp(pattern.data())) return 1;
    dir = pattern;
  }
  const std::string path = dir + "/state.db";
  std::string error;
  auto db = clasp::router::state_db::open(path, error);
  if (!db) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::uint64_t seq = 0;
  report("new_params", o, write_all(*db, o, 0, seq));
  report("overwrites", o, write_all(*db, o, 1, seq));
  double apply_seconds = 0;
  const pass_result logged = log_then_apply(*db, o, seq, apply_seconds);
  std::printf("RESULT log_append params=%zu batch=%zu append_rows_per_s=%.0f then_applied_rows_per_s=%.0f\n",
              o.params, o.batch, o.params / logged.commit_seconds, o.params / apply_seconds);
  db.reset();
  std::printf("RESULT db_bytes=%ju\n", static_cast<std::uintmax_t>(std::filesystem::file_size(path)));
  if (o.dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
