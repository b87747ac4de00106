#!/usr/bin/env bash
# `history` on a large CSV history: 100,000 rows (20 steps × 5,000 runs), the
# median of several runs of `batchkit run FILE.lst history`, against a
# baseline measured in the same run: `wc -l` and an awk pass that computes
# per-step counts and means over the same file.
#
#   bench/history.sh [ROWS] [RUNS]      (defaults 100000 and 5)
#
# Needs `batchkit` on PATH (./install.sh).
set -euo pipefail
rows=${1:-100000}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }

printf '#SHELL\n1|-1|1|0|s1|true|\n' > "$work/big.lst"
mkdir -p "$work/logs"
awk -v rows="$rows" 'BEGIN {
  srand(7); OFS = ","
  print "run_id,job,step_id,step_name,attempt,status,started_at,ended_at,duration_s,cpu_s,max_rss_kb,exit_status,reason,message,log_file,host"
  steps = 20; n = 0
  for (r = 0; n < rows; r++) {
    day = 1 + int(r / 200); sec = r % 86400
    ts = sprintf("2026-%02d-%02dT%02d:%02d:%02d.000Z", 1 + int(day / 28) % 12, 1 + day % 28, int(sec / 3600) % 24, int(sec / 60) % 60, sec % 60)
    id = sprintf("20260101T%06d.000Z-%04x", r, r % 65536)
    for (s = 1; s <= steps && n < rows; s++) {
      d = 0.5 + rand() * s; st = (rand() < 0.03) ? "FAIL" : "PASS"
      print id, "big", s, "step " s, 1, st, ts, ts, sprintf("%.3f", d), sprintf("%.3f", d * 0.8), 20000 + s, (st == "PASS" ? 0 : 1), (st == "PASS" ? "" : "exit"), (st == "PASS" ? "" : "exited with code 1"), "logs/runs/" id "/x.log", "vm"
      n++
    }
  }
}' > "$work/logs/execution_logs.csv"
echo "machine: $(uname -srm), $(nproc) cores; $(wc -l < "$work/logs/execution_logs.csv") lines, $(du -h "$work/logs/execution_logs.csv" | cut -f1)"

history=(); baseline=(); awkpass=()
for r in $(seq "$runs"); do
  start=$(now); batchkit run "$work/big.lst" history > /dev/null; history+=("$(sub "$(now)" "$start")")
  start=$(now); wc -l "$work/logs/execution_logs.csv" > /dev/null; baseline+=("$(sub "$(now)" "$start")")
  start=$(now); awk -F, 'NR > 1 { n[$3]++; t[$3] += $9; if ($6 == "PASS") p[$3]++ } END { for (s in n) printf "%s %d %.3f %.3f\n", s, n[s], p[s] / n[s], t[s] / n[s] }' "$work/logs/execution_logs.csv" > /dev/null; awkpass+=("$(sub "$(now)" "$start")")
done
m_history=$(printf '%s\n' "${history[@]}" | median)
m_wc=$(printf '%s\n' "${baseline[@]}" | median)
m_awk=$(printf '%s\n' "${awkpass[@]}" | median)
awk -v h="$m_history" -v w="$m_wc" -v a="$m_awk" -v n="$runs" 'BEGIN {
  printf "batchkit history, median of %d:     %.3f s\n", n, h
  printf "baseline awk (counts and means):   %.3f s  (history / awk = %.1f)\n", a, h / a
  printf "baseline wc -l:                    %.3f s\n", w
}'
