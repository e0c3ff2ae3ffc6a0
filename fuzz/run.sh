#!/usr/bin/env bash
# Runs the fuzz targets one after another, one job each (the machine is shared):
#   fuzz/run.sh SECONDS [TARGET...]      (default: every target)
# Installs cargo-fuzz and picks the toolchain (scripts/setup-fuzz.sh), writes the seeds
# from tests/vectors/ (scripts/fuzz-seeds.py), builds every target, then fuzzes each
# for SECONDS with the seeds and its growing corpus fuzz/corpus/TARGET/. Logs go to
# fuzz/logs/TARGET.log; a crash is saved under fuzz/artifacts/TARGET/ and fails the run.
# Prints one summary line per target (time, executions, exec/s, corpus size).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(address reply status message smtp_engine)

setup="$(bash scripts/setup-fuzz.sh)"
cargo_fuzz="$(sed -n 's/^cargo_fuzz=//p' <<<"$setup")"
toolchain="$(sed -n 's/^toolchain=//p' <<<"$setup")"
export PATH="$(dirname "$cargo_fuzz"):$PATH"
if [ "$toolchain" = nightly ]; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

python3 scripts/fuzz-seeds.py
mkdir -p fuzz/logs
start=$(date +%s)
"${fuzz[@]}" build
echo "[fuzz] build: $(( $(date +%s) - start )) s ($toolchain)"

failed=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  t0=$(date +%s)
  if ! "${fuzz[@]}" run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"fuzz/logs/$t.log" 2>&1; then
    failed+=("$t")
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz/logs/$t.log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "fuzz/logs/$t.log" | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "fuzz/logs/$t.log" | tail -1)"
  echo "[fuzz] $t: $(( $(date +%s) - t0 )) s, ${runs:-?} executions, ${rate:-?} exec/s," \
    "corpus $(find "fuzz/corpus/$t" -type f | wc -l) files, ${cov:-cov: ?}"
done
echo "[fuzz] total: $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "[fuzz] FAILED: ${failed[*]} (see fuzz/logs/ and fuzz/artifacts/)" >&2
  for t in "${failed[@]}"; do grep -m3 -E 'panicked|ERROR|SUMMARY' "fuzz/logs/$t.log" >&2 || true; done
  exit 1
fi
