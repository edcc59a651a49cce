#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md on this machine in one run and prints them as
# tables (the raw outputs stay in $BENCH_DIR/*.log).
#
#   bash scripts/benchmarks.sh            # 1,000,000-entry report data set (~10 min)
#   BENCH_REPORT_ENTRIES=100000 bash scripts/benchmarks.sh   # quicker
#
# Needs PostgreSQL (started by .ci/postgres.sh, or LEDGER_TEST_POSTGRES_URL), and Debian's
# ledger, hledger and time packages (installed here with apt-get when missing).
# Run it on a quiet machine: every figure is a rate or a latency.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_REPORT_ENTRIES:-1000000}
VERIFY_N=${BENCH_ENTRIES:-$N}
DIR=${BENCH_DIR:-target/bench-data}
rm -rf "$DIR" && mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

missing=()
command -v ledger >/dev/null || missing+=(ledger)
command -v hledger >/dev/null || missing+=(hledger)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PG_URL=${LEDGER_TEST_POSTGRES_URL:-$(bash .ci/postgres.sh)}

echo "building (release)…" >&2
cargo build --release -q -p ledger-api -p audit-tools --bins --examples
BIN=target/release
# Wall seconds and peak resident KB of a command: "secs kb", its output to $2.
measure() { # measure LOG cmd…
  local log=$1; shift
  /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$@" >"$log" 2>&1
  cat "$DIR/time.txt"
}

echo "1/7 ledger-core benchmark ($VERIFY_N entries)…" >&2
BENCH_ENTRIES=$VERIFY_N cargo bench -q -p ledger-core --bench core >"$DIR/core.log" 2>&1
echo "2/7 store benchmark (SQLite, PostgreSQL)…" >&2
LEDGER_TEST_POSTGRES_URL=$PG_URL cargo bench -q -p ledger-api --bench append >"$DIR/append.log" 2>&1
echo "2b/7 start-up benchmark (${BENCH_STARTUP_ENTRIES:-$N} entries: time to listening, first append, full replay)…" >&2
BENCH_STARTUP_ENTRIES=${BENCH_STARTUP_ENTRIES:-$N} cargo bench -q -p ledger-api --bench startup >"$DIR/startup.log" 2>&1
echo "3/7 data set: $N entries (generated, signed, stored through the append path)…" >&2
$BIN/examples/bench_data "$DIR" "$N" >"$DIR/data.txt" 2>"$DIR/data.log"
EXPORT=$DIR/export.ndjson
echo "4/7 verification of the export…" >&2
read -r v1_s v1_kb < <(measure "$DIR/verify1.log" $BIN/ledger-verify "$EXPORT" --threads 1)
read -r v2_s v2_kb < <(measure "$DIR/verify2.log" $BIN/ledger-verify "$EXPORT" --threads 2)
read -r sha_s _ < <(measure "$DIR/openssl.log" openssl dgst -sha256 "$EXPORT")
grep -q "result:      CLEAN" "$DIR/verify1.log" && grep -q "result:      CLEAN" "$DIR/verify2.log"
echo "5/7 balance reports: ledger-server report, ledger bal, hledger bal…" >&2
$BIN/ledger export --fund bench --format journal --input "$EXPORT" --out "$DIR/bench.journal"
read -r rep_s rep_kb < <(measure "$DIR/report.log" $BIN/ledger-server --data-dir "$DIR" report --fund bench)
read -r led_s led_kb < <(measure "$DIR/ledger.log" ledger -f "$DIR/bench.journal" bal)
read -r hl_s hl_kb < <(measure "$DIR/hledger.log" hledger -f "$DIR/bench.journal" bal)
# The same balance everywhere.
ours=$(awk '/^closing balance/ {print $NF}' "$DIR/report.log")
grep -q -- "$ours" "$DIR/ledger.log" && grep -q -- "$ours" "$DIR/hledger.log"

echo "6/7 server peak memory (start on the data set, then read it), fund page time to first byte…" >&2
port=$((20000 + RANDOM % 20000))
$BIN/ledger-server --data-dir "$DIR" --listen "127.0.0.1:$port" --rate-limit 0 >"$DIR/server.log" 2>&1 &
srv=$!
start=$(date +%s.%N)
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 $srv 2>/dev/null || { cat "$DIR/server.log"; exit 1; }
  sleep 0.2
done
srv_start=$(echo "$(date +%s.%N) - $start" | bc | xargs printf "%.2f")
api=http://127.0.0.1:$port/api/v1/funds/bench
for path in "" "/entries?from=0&limit=1000" "/checkpoint" "/proofs/inclusion?seq=$((N / 2))&size=$N" \
            "/proofs/consistency?from=1000&to=$N" "/entries/$((N - 1))/receipt"; do
  curl -sf -o /dev/null "$api$path" || echo "request $path failed" >&2
done
curl -sf -o "$DIR/served-export.ndjson" "$api/export"
# Fund page, time to first byte: the first view after start (totals by kind summed once
# over the index), then the median of 9 more (only new entries summed).
ttfb() { curl -s -o /dev/null -w '%{time_starttransfer}\n' "http://127.0.0.1:$port/funds/bench"; }
page_first_ms=$(ttfb | awk '{printf "%.1f", $1 * 1000}')
page_ms=$(for _ in $(seq 9); do ttfb; done | sort -n | awk '{a[NR] = $1} END {printf "%.1f", a[5] * 1000}')
srv_kb=$(awk '/VmHWM/ {print $2}' /proc/$srv/status)
kill $srv; wait $srv || true
rm -f "$DIR/served-export.ndjson"

echo "7/7 fund page under 64 concurrent readers (HTTP, straight to the server), beside the old scan…" >&2
BENCH_PAGE_DIR=$DIR BENCH_PAGE_ENTRIES=$N cargo bench -q -p ledger-api --bench fund_page >"$DIR/fund_page.log" 2>&1

# ---- tables ----
entries=$(awk '/^entries/ {print $2}' "$DIR/data.txt")
canon=$(awk '/^canonical_bytes_per_entry/ {print $2}' "$DIR/data.txt")
dbpe=$(awk '/^db_bytes_per_entry/ {print $2}' "$DIR/data.txt")
rate() { echo "$1 / $2" | bc -l | xargs printf "%.0f"; }
ratio() { echo "$1 / $2" | bc -l | xargs printf "%.1f"; }
pct() { echo "100 * $1 / $2" | bc -l | xargs printf "%.1f"; }
nproc_=$(nproc)

echo
echo "community-ledger benchmarks — $(date -u +%Y-%m-%dT%H:%MZ), $(uname -m), $nproc_ cores, $(awk '{print "load " $1 " " $2 " " $3}' /proc/loadavg)"
echo
echo "## Appends (durable: acknowledged after commit), $(awk '/store benchmark:/ {print $4}' "$DIR/append.log") appends per run"
echo
echo "| backend | raw 1-row commits/s (1 / 32 writers) | appends/s 1 writer | 8 writers | 32 writers | 32 writers ÷ raw 1-writer | ÷ bare verification | inclusion proof 10³ / 10⁶ |"
echo "|---|---|---|---|---|---|---|---|"
awk '
  /^bare Ed25519 verification/ { vall = $(NF-3); sub("/s","",vall) }
  /^== / { db = $2 }
  /^raw one-row-per-commit/ { r1[db] = $(NF-7); sub("/s","",r1[db]); r32[db] = $(NF-3); sub("/s","",r32[db]) }
  /^durable appends, +[0-9]+ writers:/ { w = $3; a = $5; sub("/s","",a); ap[db, w] = a }
  /^inclusion proof:/ { p3[db] = $3; p6[db] = $8 }
  END {
    for (i = 1; i <= 2; i++) {
      db = (i == 1) ? "sqlite" : "postgres"
      if (!(db in r1)) continue
      printf "| %s | %s / %s | %s | %s | %s | %.1f× | %.2f× | %s µs / %s µs |\n", db, r1[db], r32[db], ap[db, 1], ap[db, 8], ap[db, 32], ap[db, 32] / r1[db], ap[db, 32] / vall, p3[db], p6[db]
    }
  }' "$DIR/append.log"
echo
grep "^bare Ed25519 verification" "$DIR/append.log" | sed 's/^/bare /;s/^bare bare/bare/'
echo
echo "## Start-up (SQLite; the same database, the same run)"
echo
grep -E "^(start-up benchmark|start to listening|first append|full replay)" "$DIR/startup.log" | sed 's/^/    /'
echo
echo "## Verification of a ${VERIFY_N}-entry export (ledger-core benchmark, in memory)"
echo
grep -E "^(batched, .* per batch|ZIP-215 batched|one by one|full verify|  full verify)" "$DIR/core.log" | sed 's/^/    /'
echo
echo "## The ${entries}-entry data set ($(ratio "$(stat -c %s "$EXPORT")" 1000000) MB export)"
echo
echo "| what | time | rate | peak memory |"
echo "|---|---|---|---|"
echo "| ledger-verify, 1 thread (every signature, rule, chain link, Merkle root) | ${v1_s} s | $(rate "$entries" "$v1_s") entries/s | $((v1_kb / 1024)) MB |"
echo "| ledger-verify, 2 threads | ${v2_s} s | $(rate "$entries" "$v2_s") entries/s | $((v2_kb / 1024)) MB |"
echo "| openssl dgst -sha256 of the same file | ${sha_s} s | $(rate "$entries" "$sha_s") entries/s | |"
echo "| ledger-server report (balance + totals by kind, whole history) | ${rep_s} s | | $((rep_kb / 1024)) MB |"
echo "| ledger bal (Ledger $(ledger --version | head -1 | awk '{print $2}' | tr -d ,)), same data as a journal | ${led_s} s | | $((led_kb / 1024)) MB |"
echo "| hledger bal ($(hledger --version | awk '{print $2}' | tr -d ,)), same journal | ${hl_s} s | | $((hl_kb / 1024)) MB |"
echo "| ledger-server start on it (replays the log) + reads, export | ${srv_start} s to healthy | | $((srv_kb / 1024)) MB |"
echo
echo "- report vs ledger: $(ratio "$led_s" "$rep_s")× faster (target ≥ 10×), $(pct "$rep_kb" "$led_kb")% of its peak memory (target < 10%)"
echo "- report vs hledger: $(ratio "$hl_s" "$rep_s")× faster (target ≥ 50×)"
echo "- the same closing balance in all three: $ours CNY"
echo "- database bytes per entry: $dbpe (SQLite, with Merkle nodes, indexes, checkpoints) vs canonical bytes per entry: $canon ($(ratio "$dbpe" "$canon")×)"
echo
echo "## Fund page, time to first byte (/funds/bench, ${entries} entries)"
echo
echo "| first view after start | median of the next 9 (target < 50 ms) |"
echo "|---|---|"
echo "| ${page_first_ms} ms | ${page_ms} ms |"
echo
echo "## Fund page under load (/funds/bench, ${entries} entries, ledger-api/benches/fund_page.rs)"
echo
grep -E "^(page figures|server listening|first view|fund page over HTTP)" "$DIR/fund_page.log" | sed 's/^/    /'
