#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md on this machine in one run, each target of
# issue 19 beside its baseline measured in the same run, and prints them as tables with a
# summary of the targets at the end (the raw outputs stay in $BENCH_DIR/*.log).
#
#   bash scripts/benchmarks.sh            # 1,000,000-entry data set (~30 min the first time)
#   N=20000 bash scripts/benchmarks.sh    # a smoke run (a few minutes)
#
# N (or BENCH_REPORT_ENTRIES) is the data set's size: the report, verification, start-up,
# fund page and nginx rows all run on it. The data set (export, SQLite database) is kept
# in $BENCH_DIR (default target/bench-data-N) and reused by the next run of the same size;
# BENCH_FRESH=1 writes it again. BENCH_STARTUP_ENTRIES (default N) sizes the start-up
# benchmark's own database; BENCH_PAGE_SECS (default 10) the fund page's load.
#
# Needs PostgreSQL (started by .ci/postgres.sh, or LEDGER_TEST_POSTGRES_URL), Debian's
# ledger, hledger, time and nginx packages (installed here with apt-get when missing),
# openssl and curl. Run it on a quiet machine: every figure is a rate or a latency.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-${BENCH_REPORT_ENTRIES:-1000000}}
VERIFY_N=${BENCH_ENTRIES:-$N}
DIR=${BENCH_DIR:-target/bench-data-$N}
if [ "${BENCH_FRESH:-0}" = 1 ] || ! grep -q "^entries $N\b" "$DIR/data.txt" 2>/dev/null; then
  rm -rf "$DIR"
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# Each run's outputs beside the kept data set.
rm -f "$DIR"/*.log

missing=()
command -v ledger >/dev/null || missing+=(ledger)
command -v hledger >/dev/null || missing+=(hledger)
[ -x /usr/bin/time ] || missing+=(time)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PG_URL=${LEDGER_TEST_POSTGRES_URL:-$(bash .ci/postgres.sh)}

echo "building (release)…" >&2
cargo build --release -q -p ledger-api -p audit-tools --bins --examples
BIN=${CARGO_TARGET_DIR:-target}/release
# Wall seconds and peak resident KB of a command: "secs kb", its output to $2.
measure() { # measure LOG cmd…
  local log=$1; shift
  /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$@" >"$log" 2>&1
  cat "$DIR/time.txt"
}

# BENCH_SKIP_HARNESSES=1 skips steps 1 and 2 (a check of the rest of the script).
if [ "${BENCH_SKIP_HARNESSES:-0}" = 1 ]; then
  echo "1-2/8 skipped (BENCH_SKIP_HARNESSES=1)" >&2
  : >"$DIR/core.log"; : >"$DIR/append.log"
else
echo "1/8 ledger-core benchmark ($VERIFY_N entries)…" >&2
BENCH_ENTRIES=$VERIFY_N cargo bench -q -p ledger-core --bench core >"$DIR/core.log" 2>&1
echo "2/8 store benchmark (SQLite, PostgreSQL)…" >&2
LEDGER_TEST_POSTGRES_URL=$PG_URL cargo bench -q -p ledger-api --bench append >"$DIR/append.log" 2>&1
fi
echo "2b/8 start-up benchmark (${BENCH_STARTUP_ENTRIES:-$N} entries: time to listening, first append, full replay)…" >&2
BENCH_STARTUP_ENTRIES=${BENCH_STARTUP_ENTRIES:-$N} cargo bench -q -p ledger-api --bench startup >"$DIR/startup.log" 2>&1
if [ -s "$DIR/data.txt" ]; then
  echo "3/8 data set: $N entries kept in $DIR (BENCH_FRESH=1 writes it again)" >&2
else
  echo "3/8 data set: $N entries (generated, signed, stored through the append path)…" >&2
  $BIN/examples/bench_data "$DIR" "$N" >"$DIR/data.txt.new" 2>"$DIR/data-build.log"
  mv "$DIR/data.txt.new" "$DIR/data.txt"
fi
EXPORT=$DIR/export.ndjson
echo "4/8 verification of the export…" >&2
read -r v1_s v1_kb < <(measure "$DIR/verify1.log" $BIN/ledger-verify "$EXPORT" --threads 1)
read -r v2_s v2_kb < <(measure "$DIR/verify2.log" $BIN/ledger-verify "$EXPORT" --threads 2)
read -r sha_s _ < <(measure "$DIR/openssl.log" openssl dgst -sha256 "$EXPORT")
grep -q "result:      CLEAN" "$DIR/verify1.log" && grep -q "result:      CLEAN" "$DIR/verify2.log"
echo "5/8 balance reports: ledger-server report, ledger bal, hledger bal…" >&2
$BIN/ledger export --fund bench --format journal --input "$EXPORT" --out "$DIR/bench.journal"
read -r rep_s rep_kb < <(measure "$DIR/report.log" $BIN/ledger-server --data-dir "$DIR" report --fund bench)
read -r led_s led_kb < <(measure "$DIR/ledger.log" ledger -f "$DIR/bench.journal" bal)
read -r hl_s hl_kb < <(measure "$DIR/hledger.log" hledger -f "$DIR/bench.journal" bal)
# The same balance everywhere.
ours=$(awk '/^closing balance/ {print $NF}' "$DIR/report.log")
grep -q -- "$ours" "$DIR/ledger.log" && grep -q -- "$ours" "$DIR/hledger.log"

echo "6/8 server peak memory (start on the data set, then read it), fund page time to first byte…" >&2
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
# An immutable response (an entry by seq) through deploy/nginx.conf (HTTPS, its cache)
# beside the same URL straight to the server, the same client both times (curl --parallel,
# 64 connections kept alive): X-Cache-Status of every answer, and the server's request
# counter for the route (its /metrics) before and after, which nginx must leave unchanged.
echo "6b/8 nginx: an immutable response from its cache, beside the server…" >&2
NGINX_K=${BENCH_NGINX_REQUESTS:-20000}
NG=$DIR/nginx
rm -rf "$NG" && mkdir -p "$NG/state"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$NG/key.pem" -out "$NG/cert.pem" >/dev/null 2>&1
ng_http=$((port + 1)) ng_https=$((port + 2))
sed -e "s|\${LEDGER_NGINX_USER}|$(id -un)|g" -e "s|\${LEDGER_NGINX_DIR}|$NG/state|g" \
    -e "s|\${LEDGER_SERVER_NAME}|127.0.0.1|g" -e "s|\${LEDGER_HTTP_PORT}|127.0.0.1:$ng_http|g" \
    -e "s|\${LEDGER_HTTPS_PORT}|127.0.0.1:$ng_https|g" -e "s|\${LEDGER_TLS_CERT}|$NG/cert.pem|g" \
    -e "s|\${LEDGER_TLS_KEY}|$NG/key.pem|g" -e "s|\${LEDGER_UPSTREAM}|127.0.0.1:$port|g" \
    deploy/nginx.conf >"$NG/nginx.conf"
if grep -q '${LEDGER_' "$NG/nginx.conf"; then echo "deploy/nginx.conf: a variable left" >&2; exit 1; fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
$NGINX -p "$NG/state" -c "$NG/nginx.conf" -g 'daemon off;' >"$DIR/nginx.log" 2>&1 &
ngx=$!
until curl -s -o /dev/null --cacert "$NG/cert.pem" "https://127.0.0.1:$ng_https/healthz"; do
  kill -0 $ngx 2>/dev/null || { cat "$DIR/nginx.log" "$NG/state/error.log"; exit 1; }
  sleep 0.1
done
entry_path=/api/v1/funds/bench/entries/$((N / 2))
# Requests of the entry route the server has answered.
served() {
  curl -sf "http://127.0.0.1:$port/metrics" |
    awk '/^ledger_request_duration_seconds_count/ && /route="\/api\/v1\/funds\/\{fund\}\/entries\/\{seq\}"/ {n += $NF} END {print n + 0}'
}
# K requests of $1 by one curl, 64 at a time: seconds, then one X-Cache-Status a line to $2.
burst() {
  local url=$1 out=$2
  awk -v u="$url" -v k="$NGINX_K" \
    'BEGIN { for (i = 0; i < k; i++) printf "url = \"%s\"\noutput = \"/dev/null\"\n", u }' >"$NG/urls.cfg"
  local t0; t0=$(date +%s.%N)
  curl -s --no-progress-meter --parallel --parallel-max 64 --cacert "$NG/cert.pem" -K "$NG/urls.cfg" \
    -w '%{http_code} %header{x-cache-status}\n' >"$out"
  echo "$(date +%s.%N) - $t0" | bc
}
first_status=$(curl -s -o /dev/null --cacert "$NG/cert.pem" -w '%header{x-cache-status}' "https://127.0.0.1:$ng_https$entry_path")
second_status=$(curl -s -o /dev/null --cacert "$NG/cert.pem" -w '%header{x-cache-status}' "https://127.0.0.1:$ng_https$entry_path")
before=$(served)
ng_s=$(burst "https://127.0.0.1:$ng_https$entry_path" "$DIR/nginx-burst.txt")
after=$(served)
ng_hits=$(grep -c '^200 HIT$' "$DIR/nginx-burst.txt" || true)
srv_s=$(burst "http://127.0.0.1:$port$entry_path" "$DIR/server-burst.txt")
srv_ok=$(grep -c '^200' "$DIR/server-burst.txt" || true)
after_direct=$(served)
kill $ngx; wait $ngx || true
kill $srv; wait $srv || true
rm -f "$DIR/served-export.ndjson"

echo "7/8 fund page under 64 concurrent readers (HTTP, straight to the server), beside the uncached page and the old scan…" >&2
BENCH_PAGE_DIR=$DIR BENCH_PAGE_ENTRIES=$N cargo bench -q -p ledger-api --bench fund_page >"$DIR/fund_page.log" 2>&1
echo "8/8 ledger-verify's peak memory and rate on a ${VERIFY_N}-entry export, beside bare ed25519-zebra…" >&2
BENCH_VERIFY_ENTRIES=$VERIFY_N BENCH_VERIFY_RUNS=${BENCH_VERIFY_RUNS:-3} \
  cargo bench -q -p audit-tools --bench verify_memory >"$DIR/verify_memory.log" 2>&1

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
grep "^bare Ed25519 verification" "$DIR/append.log" | sed 's/^/bare /;s/^bare bare/bare/' || true
# Issue 19's append targets: 30 funds beside one fund, 256 writers beside the saturation
# limits (batched verification, bulk insert, and the write rule's one-by-one strict check).
grep -E "^(== |bare batched|the write rule|bulk insert|durable appends, +[0-9]+ writers over 30 funds)" \
  "$DIR/append.log" | sed 's/^/    /' || true
echo
echo "## Start-up (SQLite; the same database, the same run)"
echo
grep -E "^(start-up benchmark|start to listening|first append|full replay)" "$DIR/startup.log" | sed 's/^/    /' || true
echo
echo "## Verification of a ${VERIFY_N}-entry export (ledger-core benchmark, in memory)"
echo
grep -E "^(batched, .* per batch|ZIP-215 batched|one by one|full verify|  full verify)" "$DIR/core.log" | sed 's/^/    /' || true
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
echo
echo "## ledger-verify: peak memory (target < 64 MiB) and rate beside bare batched ed25519-zebra (audit-tools/benches/verify_memory.rs)"
echo
grep -E "^(verify_memory:|run |  bare|  ledger-verify)" "$DIR/verify_memory.log" | sed 's/^/    /'
echo
echo "## nginx in front (deploy/nginx.conf, HTTPS), an immutable response ($entry_path)"
echo
echo "| path | requests (curl --parallel, 64 at a time) | answered | rate | server's requests for the route during the run |"
echo "|---|---|---|---|---|"
echo "| through nginx (first two: $first_status, $second_status) | $NGINX_K | $ng_hits HIT | $(rate "$NGINX_K" "$ng_s")/s | $((after - before)) |"
echo "| straight to the server (HTTP) | $NGINX_K | $srv_ok 200 | $(rate "$NGINX_K" "$srv_s")/s | $((after_direct - after)) |"

# ---- the targets of issue 19, each beside its same-run baseline ----
num() { awk -v p="$1" '$0 ~ p {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) {print $i; exit}}' "$2"; }
listen_ms=$(grep "^start to listening (no replay)" "$DIR/startup.log" | awk '{print $(NF-1)}')
replay_ms=$(grep "^full replay" "$DIR/startup.log" | awk '{print $(NF-1)}')
page_line=$(grep "^fund page over HTTP" "$DIR/fund_page.log" || true)
base_line=$(grep "^baseline: the same page" "$DIR/fund_page.log" || true)
pps() { sed -n 's/.* \([0-9]*\) pages\/s.*/\1/p' <<<"$1"; }
p99() { sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$1"; }
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo met; else echo "not met"; fi; }
echo
echo "## Summary: issue 19's targets (N = $entries entries, $(awk '{print "load " $1 " " $2 " " $3}' /proc/loadavg) at the end)"
echo
echo "| target | measured | same-run baseline | |"
echo "|---|---|---|---|"
echo "| appends: see the tables above (ledger-api/benches/append.rs) | | | |"
echo "| start-up < 1 s (startup bench, ${BENCH_STARTUP_ENTRIES:-$N} entries) | ${listen_ms} ms to listening | full replay ${replay_ms} ms | $(verdict "$listen_ms < 1000") |"
echo "| start-up < 1 s (ledger-server binary on the data set, to /healthz) | ${srv_start} s | | $(verdict "$srv_start < 1") |"
echo "| fund page ≥ 1,000 pages/s, p99 < 50 ms (64 readers) | $(pps "$page_line") pages/s, p99 $(p99 "$page_line") ms | rendered every view: $(pps "$base_line") pages/s, p99 $(p99 "$base_line") ms | $(verdict "$(pps "$page_line") >= 1000 && $(p99 "$page_line") < 50") |"
echo "| nginx: immutable response from its cache, server not reached | $ng_hits of $NGINX_K HIT, $(rate "$NGINX_K" "$ng_s")/s, server saw $((after - before)) | server direct $(rate "$NGINX_K" "$srv_s")/s | $(verdict "$ng_hits == $NGINX_K && $after == $before") |"
echo "| report ≥ 50× ledger bal | ${rep_s} s: $(ratio "$led_s" "$rep_s")× | ledger bal ${led_s} s | $(verdict "$led_s >= 50 * $rep_s") |"
echo "| ledger-verify peak < 64 MiB | $((v1_kb / 1024)) MiB (1 thread), $((v2_kb / 1024)) MiB (2) | | $(verdict "$v1_kb < 65536 && $v2_kb < 65536") |"
