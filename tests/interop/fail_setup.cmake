# Stands in for an interop test whose prerequisites are missing: fails with the reason.
message(FATAL_ERROR "interop test not runnable: ${REASON}")
