#!/usr/bin/env bash
# Scale: a 10,000-step random DAG of `true` steps (up to 3 parents each among
# the previous 50, as in bench/engine.sh) run with `--jobs 2`, and `history`
# over 1,000,000 rows.
#   1. the runner's peak RSS during the run, two ways in the same run:
#      - GNU time's %M: the largest of the runner's own peak and its children's
#        (each step is `true`, exec'd directly, about 1-2 MB, so this is the
#        runner's unless a child outgrows it);
#      - VmHWM of the runner's /proc/PID/status, polled every 20 ms until it
#        exits: the runner alone (it can miss growth in the last 20 ms);
#   2. planning the same DAG: `BATCHKIT_TIMINGS=1 batchkit run FILE --dry-run`
#      prints `validate and plan` (the graph, the plan, the cache check of each
#      step: what a run does before its first step) and `parse` (reading the
#      task list), and process start-up is `batchkit --version`; then the
#      same with `BATCHKIT_TIMINGS=cpu`: the CPU time of each phase, which a
#      busy machine inflates far less than the wall time;
#   3. bench/history.sh over HISTORY_ROWS rows (skipped when 0).
#
#   bench/scale.sh [RUNS] [HISTORY_ROWS]     (defaults 3 and 1000000; medians)
#
# Needs `batchkit` on PATH (./install.sh) and GNU time (/usr/bin/time).
set -euo pipefail
runs=${1:-3}
history_rows=${2:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }

echo "machine: $(uname -srm), $(nproc) cores; batchkit $(batchkit --version | cut -d' ' -f2); load: $(cut -d' ' -f1-3 /proc/loadavg)"

random_dag() {  # $1 steps: each step gets up to 3 random parents among the previous 50 (as bench/engine.sh)
  awk -v n="$1" 'BEGIN { srand(42); print "#SHELL"; print "1|-1|1|0|s1|true|";
    for (i = 2; i <= n; i++) { k = 1 + int(rand() * 3); p = "";
      for (j = 0; j < k; j++) { q = i - 1 - int(rand() * (i - 1 < 50 ? i - 1 : 50)); if (index("," p ",", "," q ",") == 0) p = p (p == "" ? "" : ",") q }
      print i "|" p "|1|0|s" i "|true|" } }' > "$2"
}
random_dag 10000 "$work/dag.lst"

wall=(); gnu=(); hwm=(); plan=(); parse=(); plan_cpu=(); parse_cpu=(); startup=()
for r in $(seq "$runs"); do
  rm -rf "$work/logs"
  /usr/bin/time -f "%e %M" -o "$work/time" batchkit run "$work/dag.lst" --jobs 2 >/dev/null 2>&1 &
  timer=$!; peak=0
  # The runner is GNU time's child: its own high-water mark, until it exits.
  while kill -0 "$timer" 2>/dev/null; do
    for pid in $(pgrep -P "$timer" 2>/dev/null || true); do
      kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
    done
    sleep 0.02
  done
  wait "$timer"
  wall+=("$(cut -d' ' -f1 "$work/time")"); gnu+=("$(cut -d' ' -f2 "$work/time")"); hwm+=("$peak")
  rows=$(($(wc -l < "$work/logs/execution_logs.csv") - 1))
  [ "$rows" -eq 10000 ] || { echo "expected 10000 rows, the history has $rows" >&2; exit 1; }

  rm -rf "$work/logs"
  timings=$(BATCHKIT_TIMINGS=1 batchkit run "$work/dag.lst" --dry-run 2>&1 >/dev/null)
  plan+=("$(awk '/validate and plan/ { print $(NF - 1) }' <<< "$timings")")
  parse+=("$(awk '/timing: parse/ { print $(NF - 1) }' <<< "$timings")")
  timings=$(BATCHKIT_TIMINGS=cpu batchkit run "$work/dag.lst" --dry-run 2>&1 >/dev/null)
  plan_cpu+=("$(awk '/validate and plan/ { print $(NF - 1) }' <<< "$timings")")
  parse_cpu+=("$(awk '/timing: parse/ { print $(NF - 1) }' <<< "$timings")")
done
for r in $(seq 9); do start=$(now); batchkit --version >/dev/null; startup+=("$(sub "$(now)" "$start")"); done

m_wall=$(printf '%s\n' "${wall[@]}" | median)
m_gnu=$(printf '%s\n' "${gnu[@]}" | median)
m_hwm=$(printf '%s\n' "${hwm[@]}" | median)
m_plan=$(printf '%s\n' "${plan[@]}" | median)
m_parse=$(printf '%s\n' "${parse[@]}" | median)
m_start=$(printf '%s\n' "${startup[@]}" | median)
m_plan_cpu=$(printf '%s\n' "${plan_cpu[@]}" | median)
m_parse_cpu=$(printf '%s\n' "${parse_cpu[@]}" | median)
awk -v w="$m_wall" -v g="$m_gnu" -v h="$m_hwm" -v p="$m_plan" -v r="$m_parse" -v s="$m_start" -v pc="$m_plan_cpu" -v rc="$m_parse_cpu" -v n="$runs" 'BEGIN {
  printf "10,000-step random DAG, --jobs 2, median of %d: %.1f s (%.2f ms/step)\n", n, w, w / 10
  printf "  runner peak RSS (GNU time, with children):  %.1f MB\n", g / 1024
  printf "  runner peak RSS (VmHWM, runner alone):      %.1f MB\n", h / 1024
  printf "  planning (validate and plan), wall:         %.1f ms (parsing the task list: %.1f ms; process start-up: %.1f ms)\n", p, r, s * 1000
  printf "  planning (validate and plan), CPU:          %.1f ms (parsing the task list: %.1f ms)\n", pc, rc
}'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$history_rows" -gt 0 ]; then
  echo
  "$(dirname "$0")/history.sh" "$history_rows" "$runs"
fi
