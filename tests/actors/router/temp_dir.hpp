// State database test helpers: a temporary directory and a param record.
#pragma once

#include "actors/router/param_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace clasp::router::testing {

// The state database suites' directories are named for them.
class temp_dir : public test::temp_dir {
 public:
  temp_dir() : test::temp_dir("clasp_state_db") {}
};

inline param_record make_record(value v, change_seq_t seq, revision_t revision = 1) {
  param_record rec;
  rec.val = std::move(v);
  rec.revision = revision;
  rec.writer = "session-1";
  rec.timestamp_us = 1700000000000000ULL + seq;
  rec.seq = seq;
  return rec;
}

}  // namespace clasp::router::testing
