#!/usr/bin/env bash
# Word count on text the code was not designed around: the wordcount
# template's "Count words" step against `wc -w` and Python's
# collections.Counter, on two corpora made here (not by the template):
#   zipf  bench/corpus-zipf.py: 200 MB, Zipf law over 400,000 words
#   real  bench/corpus-real.sh: 200 MB of this machine's licences, man pages,
#         Python standard library and docs
# For each: wc -w (LC_ALL=C.UTF-8), Python 3 Counter over line.split()
# (at most 3 runs), the step on 1 worker and on all cores (--param workers),
# interleaved run by run, medians reported; then the word totals: the job's
# against an independent count by the same definition (Python's
# bytes.split()), and wc -w's difference; and the step's peak RSS on
# 200 MB and on 2 GB (the Zipf corpus ten times over).
#
#   bench/wordcount.sh [RUNS] [BIG]    (default 5 runs; BIG=0 skips the 2 GB run)
#
# A step's time is its wall time in logs/execution_logs.csv: its whole
# process (start, read, map, shuffle, reduce, sort, write the CSV). Needs
# `batchkit` on PATH (./install.sh), python3, GNU time. Corpora are kept in
# $BATCHKIT_CORPORA (default /tmp/batchkit-corpora) and reused.
set -euo pipefail
runs=${1:-5}
big=${2:-1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corpora=${BATCHKIT_CORPORA:-/tmp/batchkit-corpora}
mkdir -p "$corpora"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
column() { awk -F, -v id="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } $c["step_id"] == id { v = $c[col] } END { print v }' "$1/logs/execution_logs.csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

[ -f "$corpora/zipf.txt" ] || python3 "$here/corpus-zipf.py" "$corpora/zipf.txt"
[ -f "$corpora/real.txt" ] || "$here/corpus-real.sh" "$corpora/real.txt"

echo "machine: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo); batchkit $(batchkit --version | cut -d' ' -f2); $(python3 --version); $(wc --version | head -1)"
echo "load average at the start: $(load)"

cd "$work"
batchkit new wc --template wordcount >/dev/null
rm -f wc/data/input/*.txt
(cd wc && ./install.sh --quiet)
python_count='import collections, sys
counts = collections.Counter()
with open(sys.argv[1], "rb") as f:
    for line in f:
        counts.update(line.split())
print(sum(counts.values()), len(counts))'
# Runs the step alone (step 01 only lists the input, and is cached).
step() { (cd wc && ./run.sh --force 2 "$@" >/dev/null 2>&1 || true); column wc 2 duration_s; }

for corpus in zipf real; do
  text="$corpora/$corpus.txt"
  rm -f wc/data/input/*.txt
  ln -s "$text" "wc/data/input/$corpus.txt"
  (cd wc && ./run.sh >/dev/null 2>&1) || { echo "the job failed on $corpus:"; (cd wc && ./run.sh | tail -20); }
  job_words=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["words"], s["distinctWords"])' wc/data/output/summary.json)
  read -r py_words py_distinct < <(python3 -c "$python_count" "$text")
  wc_words=$(LC_ALL=C.UTF-8 wc -w < "$text")
  wc_t=(); py_t=(); one_t=(); all_t=()
  for r in $(seq "$runs"); do
    wc_t+=("$(LC_ALL=C.UTF-8 seconds wc -w "$text")")
    [ "$r" -le 3 ] && py_t+=("$(seconds python3 -c "$python_count" "$text")")
    one_t+=("$(step --param workers=1)")
    all_t+=("$(step)")
  done
  m_wc=$(printf '%s\n' "${wc_t[@]}" | median); m_py=$(printf '%s\n' "${py_t[@]}" | median)
  m_one=$(printf '%s\n' "${one_t[@]}" | median); m_all=$(printf '%s\n' "${all_t[@]}" | median)
  echo
  echo "$corpus: $(stat -c %s "$text") bytes; words: job ${job_words% *} (${job_words#* } distinct), Python bytes.split() $py_words ($py_distinct distinct): $([ "${job_words% *}" = "$py_words" ] && echo EQUAL || echo DIFFERENT); wc -w $wc_words ($((wc_words - py_words)) more than bytes.split())"
  echo "  runs (s): wc ${wc_t[*]} | python ${py_t[*]} | 1 worker ${one_t[*]} | $(nproc) workers ${all_t[*]}"
  echo "  medians: wc -w ${m_wc} s; Python Counter ${m_py} s; step 1 worker ${m_one} s; step $(nproc) workers ${m_all} s"
  echo "  step on $(nproc) workers: $(ratio "$m_wc" "$m_all")× faster than wc -w, $(ratio "$m_py" "$m_all")× faster than Python; 1→$(nproc) workers $(ratio "$m_one" "$m_all")×; peak RSS $(( $(column wc 2 max_rss_kb) / 1024 )) MB"
  echo "  load average after: $(load)"
  [ "$corpus" = zipf ] && rss_zipf=$(column wc 2 max_rss_kb)
done

if [ "$big" != 0 ]; then
  rm -f wc/data/input/*.txt
  for i in $(seq 10); do cat "$corpora/zipf.txt"; done > "$work/zipf10.txt"
  ln -s "$work/zipf10.txt" wc/data/input/zipf10.txt
  (cd wc && ./run.sh >/dev/null 2>&1) || true
  echo
  echo "2 GB (the Zipf corpus ten times): step $(column wc 2 duration_s) s, peak RSS $(( $(column wc 2 max_rss_kb) / 1024 )) MB (200 MB: $((rss_zipf / 1024)) MB)"
  rm -f "$work/zipf10.txt"
fi
