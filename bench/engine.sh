#!/usr/bin/env bash
# Engine benchmarks with `batchkit run FILE.lst` (shell steps, full process
# isolation, CSV history and durable run state on):
#   1. per-step cost of a chain of `true`: the marginal cost per step,
#      (200-step chain − 20-step chain) / 180, which includes the step's own
#      process, and the run's fixed cost, 20-step chain − 20 × marginal
#      (baselines, same run: 200 × `sh -c true`, 200 × `setpriv --pdeathsig
#      KILL /bin/sh -c true`, what a shell step used to cost before it ran)
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
chain_list() {  # $1 steps of `true`, each after the previous
  { echo "#SHELL"; echo "1|-1|1|0|s1|true|"; for i in $(seq 2 "$1"); do echo "$i|$((i - 1))|1|0|s$i|true|"; done; } > "$2"
}
chain_list 200 "$work/chain.lst"
chain_list 20 "$work/chain20.lst"
random_dag() {  # $1 steps: each step gets up to 3 random parents among the previous 50
  awk -v n="$1" 'BEGIN { srand(42); print "#SHELL"; print "1|-1|1|0|s1|true|";
    for (i = 2; i <= n; i++) { k = 1 + int(rand() * 3); p = "";
      for (j = 0; j < k; j++) { q = i - 1 - int(rand() * (i - 1 < 50 ? i - 1 : 50)); if (index("," p ",", "," q ",") == 0) p = p (p == "" ? "" : ",") q }
      print i "|" p "|1|0|s" i "|true|" } }' > "$2"
}
random_dag 1000 "$work/dag1000.lst"
random_dag 10000 "$work/dag10000.lst"
{ echo "#SHELL"; for i in $(seq 1 8); do echo "$i|-1|1|0|sleep $i|sleep 0.5|"; done; } > "$work/sleeps.lst"

chain=(); chain20=(); marginal=(); fixed=(); baseline=(); setpriv=(); dag=(); plan=(); parse=(); parallel=(); whole=(); rss=()
for r in $(seq "$runs"); do
  rm -rf "$work/logs"
  start=$(now); batchkit run "$work/chain.lst" >/dev/null 2>&1; c200=$(sub "$(now)" "$start"); chain+=("$c200")
  rm -rf "$work/logs"
  start=$(now); batchkit run "$work/chain20.lst" >/dev/null 2>&1; c20=$(sub "$(now)" "$start"); chain20+=("$c20")
  # Per run, so the medians pair figures measured together.
  m=$(awk -v a="$c200" -v b="$c20" 'BEGIN { printf "%.6f\n", (a - b) / 180 }'); marginal+=("$m")
  fixed+=("$(awk -v b="$c20" -v m="$m" 'BEGIN { printf "%.6f\n", b - 20 * m }')")
  start=$(now); for i in $(seq 200); do /bin/sh -c true; done; baseline+=("$(sub "$(now)" "$start")")
  if command -v setpriv >/dev/null; then
    start=$(now); for i in $(seq 200); do setpriv --pdeathsig KILL /bin/sh -c true; done; setpriv+=("$(sub "$(now)" "$start")")
  else
    setpriv+=(0)
  fi
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
m_chain20=$(printf '%s\n' "${chain20[@]}" | median)
m_marginal=$(printf '%s\n' "${marginal[@]}" | median)
m_fixed=$(printf '%s\n' "${fixed[@]}" | median)
m_base=$(printf '%s\n' "${baseline[@]}" | median)
m_setpriv=$(printf '%s\n' "${setpriv[@]}" | median)
m_dag=$(printf '%s\n' "${dag[@]}" | median)
m_plan=$(printf '%s\n' "${plan[@]}" | median)
m_par=$(printf '%s\n' "${parallel[@]}" | median)
m_whole=$(printf '%s\n' "${whole[@]}" | median)
m_parse=$(printf '%s\n' "${parse[@]}" | median)
m_rss=$(printf '%s\n' "${rss[@]}" | median)
m_start=$(printf '%s\n' "${startup[@]}" | median)
awk -v c="$m_chain" -v c20="$m_chain20" -v mg="$m_marginal" -v fx="$m_fixed" -v sp="$m_setpriv" -v b="$m_base" -v d="$m_dag" -v p="$m_plan" -v q="$m_par" -v w="$m_whole" -v r="$m_parse" -v m="$m_rss" -v s="$m_start" -v n="$runs" 'BEGIN {
  printf "chain of true, median of %d:         200 steps %.3f s, 20 steps %.3f s\n", n, c, c20
  printf "  marginal cost per step:             %.2f ms, including its process (target at most 1.5 ms)\n", mg * 1000
  printf "  fixed cost of a run:                %.1f ms (20-step chain - 20 x marginal; target at most 20 ms)\n", fx * 1000
  printf "  baselines, same run:                sh -c true %.2f ms; setpriv --pdeathsig KILL /bin/sh -c true %.2f ms\n", b * 5, sp * 5
  printf "1,000-step random DAG, --jobs 2:      %.2f s (%.1f ms/step)\n", d, d
  printf "plan a 10,000-step DAG:               %.1f ms (validate + plan; parsing the file: %.1f ms; start-up: %.1f ms)\n", p * 1000, r * 1000, s * 1000
  printf "8 x sleep 0.5 at --jobs 4:            steps took %.3f s, parallel efficiency %.1f%% (ideal 1.0 s); whole command %.3f s\n", q, 100 * 1.0 / q, w
  printf "runner peak RSS, 1,000-step DAG:      %.1f MB\n", m / 1024
}'
