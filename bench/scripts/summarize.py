#!/usr/bin/env python3
"""Medians per (topology, mode, system) from the benchmark's JSON lines, as a
markdown table with ratios ours/NATS and ours/Mosquitto.

usage: summarize.py FILE.jsonl [--session STAMP]   (default: the last session in FILE)
"""
import json
import statistics
import sys

SYSTEMS = [("clasp", "ours (clasp)"), ("nats", "NATS"), ("mqtt", "Mosquitto")]
# (mode, field, label, unit, higher_is_better)
METRICS = [
    ("throughput", "msgs_per_sec", "throughput", "msg/s", True),
    ("throughput", "p50_us", "p50 latency under load", "µs", False),
    ("throughput", "lost", "lost", "msgs", False),
    ("throughput", "dup", "duplicates", "msgs", False),
    ("latency", "p50_us", "p50 latency", "µs", False),
    ("latency", "p90_us", "p90 latency", "µs", False),
    ("latency", "p99_us", "p99 latency", "µs", False),
    ("latency", "p999_us", "p99.9 latency", "µs", False),
    ("latency", "max_us", "max latency", "µs", False),
    ("latency", "lost", "lost", "msgs", False),
]


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.1f}" if v != int(v) else f"{int(v)}"


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    rows = []
    with open(args[0]) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    if "--session" in args:
        session = args[args.index("--session") + 1]
    else:
        session = rows[-1].get("session") if rows else None
    rows = [r for r in rows if r.get("session") == session]
    groups = {}
    for r in rows:
        groups.setdefault((r.get("topology"), r.get("mode"), r.get("system")), []).append(r)

    def median(topology, mode, system, field):
        runs = groups.get((topology, mode, system))
        if not runs:
            return None
        ok = [r for r in runs if r.get("ok") and field in r]
        if not ok:
            return "failed"
        return statistics.median(r[field] for r in ok)

    def ratio(ours, peer):
        if not isinstance(ours, (int, float)) or not isinstance(peer, (int, float)) or peer == 0:
            return "—"
        return f"{ours / peer:.2f}×"

    busy = sum(1 for r in rows if r.get("busy_flag"))
    print(f"Medians of {len(rows)} runs, session {session}"
          + (f"; {busy} run(s) flagged: other processes used > 10% CPU" if busy else ""))
    print()
    print("| topology | metric | ours (clasp) | NATS | Mosquitto | ours/NATS | ours/Mosquitto |")
    print("|---|---|---|---|---|---|---|")
    names = {"federated": "leaf A → hub → leaf B", "single": "single server",
             "mesh": "mesh A → B (3 servers, all connected)"}
    for topology in names:
        for mode, field, label, unit, _ in METRICS:
            vals = [median(topology, mode, s, field) for s, _ in SYSTEMS]
            if all(v is None for v in vals):
                continue
            name = names[topology]
            print(f"| {name} | {label} ({unit}) | " + " | ".join(fmt(v) for v in vals)
                  + f" | {ratio(vals[0], vals[1])} | {ratio(vals[0], vals[2])} |")
    failed = {}
    for r in rows:
        if not r.get("ok"):
            key = (r.get("system"), r.get("topology"), r.get("mode"), r.get("error"))
            failed[key] = failed.get(key, 0) + 1
    if failed:
        print()
    for (system, topology, mode, error), n in failed.items():
        print(f"failed: {system}/{topology}/{mode} ×{n}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
