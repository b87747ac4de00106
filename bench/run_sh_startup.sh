#!/usr/bin/env bash
# Measures the two figures of a generated job's ./run.sh:
#   1. first build: a fresh `batchkit new` job's first ./run.sh, to exit
#   2. warm start: ./run.sh with nothing changed, from invocation to the first
#      step's start (the started_at of step 1 in logs/execution_logs.csv)
# with baselines measured in the same run: the job binary's own start-up
# (`<job> --help`) and a no-op `swift build` (what a naive run.sh would pay).
#
#   bench/run_sh_startup.sh [WARM_RUNS] [BUILD_RUNS]     (defaults 15 and 3)
#
# Needs `batchkit` on PATH (./install.sh). Prints medians; paste them into
# docs/PERFORMANCE.md with the machine they came from.
set -euo pipefail
warm_runs=${1:-15}
build_runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
iso_to_epoch() { date -d "$1" +%s.%N; }

echo "machine: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "swift:   $(swift --version 2>&1 | head -n 1)"

builds=()
for i in $(seq "$build_runs"); do
  (cd "$work" && batchkit new "fresh$i" >/dev/null)
  start=$(now)
  (cd "$work/fresh$i" && ./run.sh >/dev/null 2>&1)
  builds+=("$(sub "$(now)" "$start")")
done
job="$work/fresh1"

warm=()
for i in $(seq "$warm_runs"); do
  start=$(now)
  (cd "$job" && ./run.sh >/dev/null 2>&1)
  first=$(tail -n 4 "$job/logs/execution_logs.csv" | head -n 1 | cut -d, -f7)
  warm+=("$(sub "$(iso_to_epoch "$first")" "$start")")
done

binary=()
for i in $(seq "$warm_runs"); do
  start=$(now)
  "$job/.build/release/fresh1" --help >/dev/null
  binary+=("$(sub "$(now)" "$start")")
done

noop=()
for i in $(seq 3); do
  start=$(now)
  (cd "$job" && swift build -c release >/dev/null 2>&1)
  noop+=("$(sub "$(now)" "$start")")
done

build_median=$(printf '%s\n' "${builds[@]}" | median)
warm_median=$(printf '%s\n' "${warm[@]}" | median)
binary_median=$(printf '%s\n' "${binary[@]}" | median)
noop_median=$(printf '%s\n' "${noop[@]}" | median)
printf 'first build + run, median of %d:           %.1f s\n' "$build_runs" "$build_median"
printf 'warm ./run.sh to first step, median of %d: %.3f s\n' "$warm_runs" "$warm_median"
printf 'baseline: job binary --help, median:        %.3f s\n' "$binary_median"
printf 'baseline: no-op swift build, median of 3:   %.3f s  (%.0fx the warm start)\n' "$noop_median" "$(awk -v a="$noop_median" -v b="$warm_median" 'BEGIN { print a / b }')"
