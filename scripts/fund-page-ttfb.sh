#!/usr/bin/env bash
# Fund page time to first byte, one ledger-server binary beside another on the same data:
#   scripts/fund-page-ttfb.sh DATA_DIR FUND BIN_BEFORE BIN_AFTER [ROUNDS]
# DATA_DIR is a server data dir (e.g. from `bench_data DIR 1000000`: fund `bench`). Each
# binary is started on it, waited for (/healthz), and /funds/FUND viewed once right away,
# then nine more times (median printed); the second binary also once 5 s after its start.
set -euo pipefail
dir=$1 fund=$2 before=$3 after=$4 rounds=${5:-2}
run() {
  local name=$1 bin=$2 wait_s=$3 port=$((20000 + RANDOM % 20000))
  local t0; t0=$(date +%s.%N)
  "$bin" --data-dir "$dir" --listen "127.0.0.1:$port" --rate-limit 0 >"/tmp/ttfb-$name.log" 2>&1 &
  local pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.1; done
  local t1; t1=$(date +%s.%N)
  sleep "$wait_s"
  local url="http://127.0.0.1:$port/funds/$fund"
  local first; first=$(curl -s -o /dev/null -w '%{time_starttransfer}' "$url")
  local median; median=$(for _ in $(seq 9); do curl -s -o /dev/null -w '%{time_starttransfer}\n' "$url"; done |
    sort -n | awk '{a[NR] = $1} END {print a[5]}')
  awk -v n="$name" -v s="$(echo "$t1 - $t0" | bc)" -v w="$wait_s" -v f="$first" -v m="$median" \
    'BEGIN {printf "%s: listening after %.1f s; view after %d s: %.1f ms; median of 9 more: %.1f ms\n", n, s, w, f * 1000, m * 1000}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
for _ in $(seq "$rounds"); do
  run before "$before" 0
  run after "$after" 0
  run after-warm "$after" 5
done
