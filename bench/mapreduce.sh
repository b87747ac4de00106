#!/usr/bin/env bash
# Data-parallel benchmarks: the wordcount and logs templates' MapReduce steps
# against the obvious command-line tools, on synthetic input made by the
# templates themselves (`./run.sh --param size=…`).
#   1. word count of 200 MB of text: `wc -w`, Python 3 `collections.Counter`,
#      and the job's "Count words" step on 1 and on all cores
#   2. access-log analysis of 200 MB (requests per status, per path, bytes per
#      hour): an `awk` one-liner, and the job's "Analyze requests" step
#   3. the step's peak memory (RSS) on 200 MB and on 2 GB of text
# The headline figures are on input the code was not designed around:
# bench/wordcount.sh (a Zipf corpus and real text) and bench/logs.sh (an
# access log with 58,637 distinct paths).
#
#   bench/mapreduce.sh [RUNS] [BIG]   (default 5 runs, medians reported; BIG
#                                      default 2GB, 0 to skip the big input)
#
# A step's time is its wall time in logs/execution_logs.csv: its whole
# process (start, read, map, shuffle, reduce, write the outputs). Needs
# `batchkit` on PATH (./install.sh), python3, awk and GNU time.
set -euo pipefail
runs=${1:-5}
big=${2:-2GB}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
# The last row's duration_s / max_rss_kb for a step id, from a job's history.
column() { awk -F, -v id="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } $c["step_id"] == id { v = $c[col] } END { print v }' "$1/logs/execution_logs.csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "machine: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo); batchkit $(batchkit --version | cut -d' ' -f2); $(python3 --version); awk: $(readlink -f "$(command -v awk)")"

cd "$work"
batchkit new wc --template wordcount >/dev/null
batchkit new lg --template logs >/dev/null
(cd wc && ./install.sh >/dev/null && ./run.sh --param size=200MB >/dev/null 2>&1)
(cd lg && ./install.sh >/dev/null && ./run.sh --param size=200MB >/dev/null 2>&1)
text="$work/wc/data/generated/synthetic_200000000.txt"
log="$work/lg/data/generated/access_200000000.log"
python_count='import collections, sys
counts = collections.Counter()
with open(sys.argv[1], "rb") as f:
    for line in f:
        counts.update(line.split())
print(sum(counts.values()))'
awk_logs='{ status[$9]++; split($7, p, "?"); path[p[1]]++; bytes[substr($4, 2, 14)] += ($10 == "-") ? 0 : $10 }
END { for (s in status) n++; for (q in path) m++; for (h in bytes) k++; print n, m, k }'

words_wc=$(wc -w < "$text"); words_py=$(python3 -c "$python_count" "$text")
echo "words: wc -w $words_wc, python $words_py, job $(grep -o '"words" : [0-9]*' wc/data/output/summary.json)"

wc_t=(); py_t=(); one_t=(); all_t=(); awk_t=(); logs_t=()
for r in $(seq "$runs"); do
  wc_t+=("$(seconds wc -w "$text")")
  [ "$r" -le 3 ] && py_t+=("$(seconds python3 -c "$python_count" "$text")")
  (cd wc && ./run.sh --param size=200MB --param workers=1 >/dev/null 2>&1); one_t+=("$(column wc 2 duration_s)")
  (cd wc && ./run.sh --param size=200MB >/dev/null 2>&1); all_t+=("$(column wc 2 duration_s)")
  awk_t+=("$(seconds awk "$awk_logs" "$log")")
  (cd lg && ./run.sh --param size=200MB >/dev/null 2>&1); logs_t+=("$(column lg 2 duration_s)")
done
m_wc=$(printf '%s\n' "${wc_t[@]}" | median); m_py=$(printf '%s\n' "${py_t[@]}" | median)
m_one=$(printf '%s\n' "${one_t[@]}" | median); m_all=$(printf '%s\n' "${all_t[@]}" | median)
m_awk=$(printf '%s\n' "${awk_t[@]}" | median); m_logs=$(printf '%s\n' "${logs_t[@]}" | median)
rss200=$(column wc 2 max_rss_kb)

echo
echo "word count, 200 MB ($runs runs; Python 3 runs: ${#py_t[@]}), medians:"
echo "  wc -w                       ${m_wc} s"
echo "  python3 collections.Counter ${m_py} s"
echo "  Count words step, 1 core    ${m_one} s"
echo "  Count words step, $(nproc) cores   ${m_all} s   ($(ratio "$m_wc" "$m_all")× faster than wc -w, $(ratio "$m_py" "$m_all")× faster than Python; scaling 1→$(nproc) cores $(ratio "$m_one" "$m_all")×)"
echo "  peak RSS of the step        $((rss200 / 1024)) MB"
echo
echo "access logs, 200 MB, medians:"
echo "  awk one-liner               ${m_awk} s"
echo "  Analyze requests step       ${m_logs} s   ($(ratio "$m_awk" "$m_logs")× faster than awk)"
echo "  peak RSS of the step        $(( $(column lg 2 max_rss_kb) / 1024 )) MB"

if [ "$big" != 0 ]; then
  (cd wc && ./run.sh --param size="$big" >/dev/null 2>&1) || { echo "the $big run failed"; exit 1; }
  echo
  echo "word count, $big: step $(column wc 2 duration_s) s, peak RSS $(( $(column wc 2 max_rss_kb) / 1024 )) MB (200 MB: $((rss200 / 1024)) MB)"
fi
