#!/usr/bin/env bash
# Fuzzes ledger-core for a short while: each cargo-fuzz target of fuzz/ runs
# ${FUZZ_SECONDS:-30} seconds from the committed seeds (fuzz/corpus/<target>/seed-*).
# Fails if any target finds a crash (panic, failed assertion), a timeout or an OOM, and
# prints for each target its executions and final corpus size. See fuzz/README.md.
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 30)
#   FUZZ_TARGETS    targets to run (default: all of `cargo fuzz list`)
#   FUZZ_SANITIZER  cargo-fuzz sanitizer (default none: ledger-core is safe Rust, and
#                   runs are faster without; `address` for AddressSanitizer)
#   FUZZ_TOOLCHAIN  rustup toolchain to use (default nightly if installed, else stable
#                   with RUSTC_BOOTSTRAP=1)
#   FUZZ_CORPUS     where new corpus entries go (default: a temporary directory, removed
#                   at the end, so the checkout stays clean)
#   FUZZ_LOGS       keep each target's libFuzzer log here (default: a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
sanitizer="${FUZZ_SANITIZER:-none}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# cargo-fuzz needs nightly flags: nightly if rustup has it, else stable with
# RUSTC_BOOTSTRAP=1 (which lets a stable compiler accept them).
# FUZZ_TOOLCHAIN=stable forces the fallback (to test it).
toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
  toolchain=("+$FUZZ_TOOLCHAIN")
  case "$FUZZ_TOOLCHAIN" in nightly*) ;; *) export RUSTC_BOOTSTRAP=1 ;; esac
elif command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
  if command -v rustup >/dev/null 2>&1; then toolchain=(+stable); fi
fi
echo "fuzz: $(cargo "${toolchain[@]}" --version)${RUSTC_BOOTSTRAP:+ (RUSTC_BOOTSTRAP=1)}, $(cargo fuzz --version)"

# The same flags for build and run, so that `run` finds the build up to date.
flags=(--sanitizer "$sanitizer" --codegen-units 16)

if [ -n "${FUZZ_CORPUS:-}" ]; then
  corpus_root="$FUZZ_CORPUS"
else
  corpus_root="$(mktemp -d)"
  trap 'rm -rf "$corpus_root"' EXIT
fi
logs="${FUZZ_LOGS:-$(mktemp -d)}"
mkdir -p "$logs"

start=$SECONDS
cargo "${toolchain[@]}" fuzz build "${flags[@]}"
echo "fuzz: built in $((SECONDS - start)) s"

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo "${toolchain[@]}" fuzz list | tr '\n' ' ')}"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$corpus_root/$t"
  echo "fuzz: $t for $seconds s"
  # New finds go to $corpus_root/$t; the committed seeds are only read.
  if cargo "${toolchain[@]}" fuzz run "${flags[@]}" "$t" "$corpus_root/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$logs/$t.log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
  fi
  runs="$(grep -o '^Done [0-9]* runs in [0-9]* second' "$logs/$t.log" | awk '{print $2}' || true)"
  [ -n "$runs" ] || runs="$(grep -o '^stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | awk '{print $2}' || true)"
  corp="$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$logs/$t.log" | tail -n 1 | cut -d' ' -f2 || true)"
  echo "fuzz: $t: $status, ${runs:-?} executions, corpus ${corp:-?}"
  if [ "$status" != ok ]; then
    echo "---- $t: end of the libFuzzer log ----"
    tail -n 60 "$logs/$t.log"
    echo "---- reproduce with: cargo fuzz run $t <the crash- / timeout- / oom- file above>"
  fi
done
[ -n "${FUZZ_LOGS:-}" ] || rm -rf "$logs"
echo "fuzz: done in $((SECONDS - start)) s"

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
