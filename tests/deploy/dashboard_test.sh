#!/usr/bin/env bash
# The Grafana dashboard queries only metrics docs/metrics.md lists, shows every
# one of them, and each query is valid PromQL (promtool check rules parses it).
# Usage: dashboard_test.sh SOURCE_DIR
set -euo pipefail
SRC="${1:?usage: dashboard_test.sh SOURCE_DIR}"
DASH="$SRC/deploy/grafana/clasp-federation.json"
DOC="$SRC/docs/metrics.md"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

grep -q '"panels"' "$DASH" || { echo "FAIL: $DASH has no panels"; exit 1; }
# Queries, unescaped from JSON; Grafana's own variables made concrete.
# shellcheck disable=SC2016  # literal $ on purpose
sed -n 's/^ *"expr": "\(.*\)",\{0,1\}$/\1/p' "$DASH" | sed 's/\\"/"/g; s/\$__rate_interval/5m/g' >"$WORK/exprs"
[ -s "$WORK/exprs" ] || { echo "FAIL: no queries found in $DASH"; exit 1; }
echo "dashboard: $(wc -l <"$WORK/exprs") queries"

# Metric names: in the doc's table, and in the queries without histogram suffixes.
# shellcheck disable=SC2016  # literal backticks on purpose
grep -o '`clasp_[a-z_]*`' "$DOC" | tr -d '`' | sort -u >"$WORK/documented"
grep -o 'clasp_[a-z_]*' "$WORK/exprs" | sed -E 's/_(bucket|sum|count)$//' | sort -u >"$WORK/queried"
status=0
unknown="$(comm -13 "$WORK/documented" "$WORK/queried")"
[ -z "$unknown" ] || { echo "FAIL: the dashboard queries metrics docs/metrics.md does not list: $unknown"; status=1; }
unshown="$(comm -23 "$WORK/documented" "$WORK/queried")"
[ -z "$unshown" ] || { echo "FAIL: metrics in docs/metrics.md no panel shows: $unshown"; status=1; }

if command -v promtool >/dev/null 2>&1; then
  { echo "groups:"; echo "  - name: dashboard"; echo "    rules:"
    n=0
    while IFS= read -r expr; do
      n=$((n + 1))
      printf "      - record: dashboard:query_%d\n        expr: '%s'\n" "$n" "${expr//\'/\'\'}"
    done <"$WORK/exprs"; } >"$WORK/rules.yml"
  promtool check rules "$WORK/rules.yml" || { echo "FAIL: promtool rejects a dashboard query"; status=1; }
else
  echo "dashboard: promtool not installed (Debian package prometheus): PromQL syntax not checked"
fi
[ $status -eq 0 ] && echo "dashboard: ok ($(wc -l <"$WORK/documented") documented metrics, all shown)"
exit $status
