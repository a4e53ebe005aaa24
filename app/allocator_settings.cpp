// jemalloc settings of the `clasp` executable, read by jemalloc at start
// (MALLOC_CONF in the environment still overrides them).
// Without a background thread, jemalloc hands freed pages back to the system
// only while the process keeps allocating: a router that wrote a burst to its
// database (persistence batches are copies of the changed params) kept those
// pages for good, about 80 B per stored param. The background thread returns
// them within a second of going unused, off the hot path.
// With glibc malloc (jemalloc not linked) nothing reads this symbol.
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks for.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000";
}
