#!/usr/bin/env bash
# The cost of one #PYTHON task, and the same list under PyRunner itself:
#   1. a 20-task chain of no-op workers with `batchkit run` (per-task cost),
#      against 20 × `python3 -c pass` (the interpreter's own start-up)
#   2. the same chain with `pyrunner -c PROFILE -l LIST` from PyPI, in the same run
#
#   bench/python-task.sh [RUNS] [PYRUNNER_VENV]   (default 3 and /tmp/batchkit-ci-pyrunner-5;
#                                                  make the venv with scripts/pyrunner/install.sh VENV 5)
#
# Needs `batchkit` on PATH (./install.sh) and python3.
set -euo pipefail
runs=${1:-3}
venv=${2:-/tmp/batchkit-ci-pyrunner-5}
tasks=20
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }

echo "machine: $(uname -srm), $(nproc) cores; batchkit $(batchkit --version | cut -d' ' -f2); $(python3 --version); PyRunner $("$venv/bin/python" -c 'import pyrunner.version as v; print(v.__version__)')"

mkdir -p "$work/python" "$work/temp" "$work/logs"
printf 'from pyrunner import Worker\n\nclass Noop(Worker):\n    def run(self):\n        pass\n' > "$work/python/workers.py"
# PyRunner 5 needs a LOGFILE on every line (it writes its .ctllog with them).
{ echo "#PYTHON"; echo "1|-1|1|0|t1|workers|Noop||\$ENV{APP_LOG_DIR}/t1.log"
  for i in $(seq 2 $tasks); do echo "$i|$((i - 1))|1|0|t$i|workers|Noop||\$ENV{APP_LOG_DIR}/t$i.log"; done; } > "$work/chain.lst"
cat > "$work/app_profile" <<PROFILE
export APP_NAME=bench
export APP_ROOT_DIR=$work
export APP_LOG_DIR=$work/logs
export APP_TEMP_DIR=$work/temp
export APP_WORKER_DIR=$work/python
PROFILE

batchkit_runs=(); pyrunner_runs=(); baseline=()
for r in $(seq "$runs"); do
  rm -rf "$work/logs"/* "$work/logs"/.[!.]* 2>/dev/null || true
  start=$(now); batchkit run "$work/chain.lst" --profile "$work/app_profile" --python python3 >/dev/null 2>&1; batchkit_runs+=("$(sub "$(now)" "$start")")
  rm -rf "$work/temp"/*
  start=$(now); "$venv/bin/pyrunner" -c "$work/app_profile" -l "$work/chain.lst" --nozip >/dev/null 2>&1; pyrunner_runs+=("$(sub "$(now)" "$start")")
  start=$(now); for i in $(seq $tasks); do python3 -c pass; done; baseline+=("$(sub "$(now)" "$start")")
done
m_b=$(printf '%s\n' "${batchkit_runs[@]}" | median)
m_p=$(printf '%s\n' "${pyrunner_runs[@]}" | median)
m_s=$(printf '%s\n' "${baseline[@]}" | median)
awk -v b="$m_b" -v p="$m_p" -v s="$m_s" -v n="$runs" -v t="$tasks" 'BEGIN {
  printf "%d-task #PYTHON chain, batchkit run, median of %d:  %.2f s = %.0f ms/task (python3 -c pass: %.0f ms; overhead %.0f ms/task)\n", t, n, b, b * 1000 / t, s * 1000 / t, (b - s) * 1000 / t
  printf "the same list under PyRunner (pyrunner -c -l):      %.2f s = %.0f ms/task\n", p, p * 1000 / t
}'
