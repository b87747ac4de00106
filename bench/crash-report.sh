#!/usr/bin/env bash
# What "a crash says where" costs (docs/PERFORMANCE.md):
#   1. a run of one Swift step with Swift's backtracer set up by the runner
#      (swift on PATH) against one without it (swift not on PATH), the job
#      binary called directly, runs alternating;
#   2. the wall time of a step that traps, explained (backtracer and
#      symbolizer) against not explained;
#   3. the release build with debug information (SwiftPM's default, which the
#      file:line needs) against `-Xswiftc -gnone`: cold build, rebuild after
#      editing one step, and binary size.
#
#   bench/crash-report.sh [RUNS]      (default 15; builds use RUNS / 5, at least 1)
#
# Needs the Swift toolchain. Reports medians.
set -euo pipefail
runs=${1:-15}
builds=$(( runs / 5 > 0 ? runs / 5 : 1 ))
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s.%N); awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f\n", b - a }'; }

echo "machine: $(uname -srm), $(nproc) cores, $(swift --version 2>&1 | head -1)"
(cd "$root" && swift build --product batchkit >/dev/null)
batchkit="$root/.build/debug/batchkit"
(cd "$work" && BATCHKIT_HOME="$root" "$batchkit" new job >/dev/null)
job="$work/job"
(cd "$job" && BATCHKIT_HOME="$root" "$batchkit" add step "Trap" --after 4 >/dev/null)
trap_file=$(ls "$job"/Sources/Job/*_trap.swift)
trap_id=$(basename "$trap_file" | cut -d_ -f1)
sed -i 's/context.log.info("trap: nothing to do yet")/context.log.info("first row: \\([Int](repeating: 1, count: context.attempt - 1)[0])")/' "$trap_file"
grep -q 'count: context.attempt - 1)\[0\]' "$trap_file" || { echo "could not put the trap in $trap_file" >&2; exit 1; }
cp -R "$job" "$work/nodebug"

(cd "$job" && swift build -c release --disable-automatic-resolution >/dev/null 2>&1)
# 1 and 2. Runs: the job binary directly; without swift on PATH the runner
# finds no backtracer and sets nothing.
swift_dir=$(dirname "$(command -v swift)")
plain_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$swift_dir" | paste -sd: -)
step() { (cd "$job" && PATH="$1" .build/release/job --only "$2"); }
for run in $(seq 1 "$runs"); do
  seconds step "$PATH" 1 >> "$work/start-on"
  seconds step "$plain_path" 1 >> "$work/start-off"
  seconds step "$PATH" "$trap_id" >> "$work/crash-on"
  seconds step "$plain_path" "$trap_id" >> "$work/crash-off"
done
grep -h -m1 "ERROR crashed" "$job"/logs/runs/*/*_trap*.log || { echo "the trap was not explained" >&2; exit 1; }

echo "run of one Swift step, median of $runs: backtracer set up $(median < "$work/start-on") s, not set up $(median < "$work/start-off") s"
echo "run whose step traps, median of $runs: explained $(median < "$work/crash-on") s, not explained $(median < "$work/crash-off") s"
# 3. Builds: cold, then after an edit of one step; alternating.
build() { (cd "$1" && swift build -c release --disable-automatic-resolution "${@:2}"); }
for run in $(seq 1 "$builds"); do
  for variant in job nodebug; do
    flags=(); [ "$variant" = nodebug ] && flags=(-Xswiftc -gnone)
    rm -rf "$work/$variant/.build"
    seconds build "$work/$variant" "${flags[@]}" >> "$work/cold-$variant"
    echo "// edit $run" >> "$work/$variant/Sources/Job/03_transform.swift"
    seconds build "$work/$variant" "${flags[@]}" >> "$work/edit-$variant"
    echo "build $run  $variant  cold $(tail -1 "$work/cold-$variant") s, after an edit $(tail -1 "$work/edit-$variant") s"
  done
done
size_debug=$(stat -c %s "$job/.build/release/job")
size_nodebug=$(stat -c %s "$work/nodebug/.build/release/job")

on=$(median < "$work/start-on"); off=$(median < "$work/start-off")
crash_on=$(median < "$work/crash-on"); crash_off=$(median < "$work/crash-off")
echo "run of one Swift step, median of $runs: backtracer set up $on s, not set up $off s (ratio $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }'))"
echo "run whose step traps, median of $runs: explained $crash_on s, not explained $crash_off s"
echo "release build, median of $builds: with debug info cold $(median < "$work/cold-job") s, after an edit $(median < "$work/edit-job") s, binary $((size_debug / 1048576)) MB;" \
  "-gnone cold $(median < "$work/cold-nodebug") s, after an edit $(median < "$work/edit-nodebug") s, binary $((size_nodebug / 1048576)) MB"
