#!/usr/bin/env bash
# Engine benchmarks with `batchkit run FILE.lst` (shell steps, full process
# isolation, CSV history and durable run state on):
#   1. per-step overhead of a 200-step chain of `true` (baseline: 200 × `sh -c true`)
#   2. planning and running a 1,000-step random DAG (--jobs 2)
#   3. planning alone (--dry-run) for a 10,000-step random DAG
#   4. parallel efficiency of 8 independent `sleep 0.5` at --jobs 4
#   5. the runner's peak memory for the 1,000-step DAG
#
#   bench/engine.sh [RUNS]        (default 5; medians are reported)
#
# Needs `batchkit` on PATH (./install.sh) and GNU time (/usr/bin/time).
set -euo pipefail
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }

echo "machine: $(uname -srm), $(nproc) cores; batchkit $(batchkit --version | cut -d' ' -f2)"

# Task lists.
{ echo "#SHELL"; echo "1|-1|1|0|s1|true|"; for i in $(seq 2 200); do echo "$i|$((i - 1))|1|0|s$i|true|"; done; } > "$work/chain.lst"
random_dag() {  # $1 steps: each step gets up to 3 random parents among the previous 50
  awk -v n="$1" 'BEGIN { srand(42); print "#SHELL"; print "1|-1|1|0|s1|true|";
    for (i = 2; i <= n; i++) { k = 1 + int(rand() * 3); p = "";
      for (j = 0; j < k; j++) { q = i - 1 - int(rand() * (i - 1 < 50 ? i - 1 : 50)); if (index("," p ",", "," q ",") == 0) p = p (p == "" ? "" : ",") q }
      print i "|" p "|1|0|s" i "|true|" } }' > "$2"
}
random_dag 1000 "$work/dag1000.lst"
random_dag 10000 "$work/dag10000.lst"
{ echo "#SHELL"; for i in $(seq 1 8); do echo "$i|-1|1|0|sleep $i|sleep 0.5|"; done; } > "$work/sleeps.lst"

chain=(); baseline=(); dag=(); plan=(); parse=(); parallel=(); whole=(); rss=()
for r in $(seq "$runs"); do
  rm -rf "$work/logs"
  start=$(now); batchkit run "$work/chain.lst" >/dev/null 2>&1; chain+=("$(sub "$(now)" "$start")")
  start=$(now); for i in $(seq 200); do /bin/sh -c true; done; baseline+=("$(sub "$(now)" "$start")")
  rm -rf "$work/logs"
  /usr/bin/time -f "%e %M" -o "$work/time" batchkit run "$work/dag1000.lst" --jobs 2 >/dev/null 2>&1
  dag+=("$(cut -d' ' -f1 "$work/time")"); rss+=("$(cut -d' ' -f2 "$work/time")")
  plan+=("$(BATCHKIT_TIMINGS=1 batchkit run "$work/dag10000.lst" --dry-run 2>&1 >/dev/null | awk '/validate and plan/ { print $(NF - 1) / 1000 }')")
  parse+=("$(BATCHKIT_TIMINGS=1 batchkit run "$work/dag10000.lst" --dry-run 2>&1 >/dev/null | awk '/parse/ { print $(NF - 1) / 1000 }')")
  rm -rf "$work/logs"
  start=$(now); batchkit run "$work/sleeps.lst" --jobs 4 >/dev/null 2>&1; whole+=("$(sub "$(now)" "$start")")
  # Makespan of the steps: first start to last end, from the CSV history.
  parallel+=("$(awk -F, 'NR > 1 { print $7; print $8 }' "$work/logs/execution_logs.csv" | sort | sed -n '1p;$p' | while read -r t; do date -d "$t" +%s.%N; done | awk 'NR == 1 { a = $1 } NR == 2 { printf "%.6f\n", $1 - a }')")
done
startup=()
for r in $(seq 9); do start=$(now); batchkit --version >/dev/null; startup+=("$(sub "$(now)" "$start")"); done

m_chain=$(printf '%s\n' "${chain[@]}" | median)
m_base=$(printf '%s\n' "${baseline[@]}" | median)
m_dag=$(printf '%s\n' "${dag[@]}" | median)
m_plan=$(printf '%s\n' "${plan[@]}" | median)
m_par=$(printf '%s\n' "${parallel[@]}" | median)
m_whole=$(printf '%s\n' "${whole[@]}" | median)
m_parse=$(printf '%s\n' "${parse[@]}" | median)
m_rss=$(printf '%s\n' "${rss[@]}" | median)
m_start=$(printf '%s\n' "${startup[@]}" | median)
awk -v c="$m_chain" -v b="$m_base" -v d="$m_dag" -v p="$m_plan" -v q="$m_par" -v w="$m_whole" -v r="$m_parse" -v m="$m_rss" -v s="$m_start" -v n="$runs" 'BEGIN {
  printf "200-step chain, median of %d:        %.2f s = %.1f ms/step (baseline sh -c true: %.1f ms/step; overhead %.1f ms/step)\n", n, c, c * 5, b * 5, (c - b) * 5
  printf "1,000-step random DAG, --jobs 2:      %.2f s (%.1f ms/step)\n", d, d
  printf "plan a 10,000-step DAG:               %.1f ms (validate + plan; parsing the file: %.1f ms; start-up: %.1f ms)\n", p * 1000, r * 1000, s * 1000
  printf "8 x sleep 0.5 at --jobs 4:            steps took %.3f s, parallel efficiency %.1f%% (ideal 1.0 s); whole command %.3f s\n", q, 100 * 1.0 / q, w
  printf "runner peak RSS, 1,000-step DAG:      %.1f MB\n", m / 1024
}'
