#!/usr/bin/env bash
# Per-step overhead of --backend slurm, against Slurm's own floor measured in
# the same run:
#   1. a chain of N trivial steps (each `true`, each after the previous) run
#      locally by `batchkit run`
#   2. the same chain with `batchkit run --backend slurm`
#   3. the same chain submitted by hand: N `sbatch --wrap true` jobs linked by
#      --dependency=afterok, timed from the first sbatch until the last job
#      is COMPLETED (Slurm's floor: what any tool on top of it pays)
#   4. a wave of N independent steps with --backend slurm
#
#   bench/slurm.sh [RUNS] [N]      (default 5 runs, N = 10; medians reported)
#
# Needs `batchkit` on PATH (./install.sh) and a Slurm cluster that answers
# (scripts/slurm/start.sh, then export SLURM_CONF=…).
set -euo pipefail
runs=${1:-5}
n=${2:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
scontrol ping | grep -q 'is UP' || { echo "Slurm does not answer: start it (scripts/slurm/start.sh) and export SLURM_CONF" >&2; exit 1; }

echo "machine: $(uname -srm), $(nproc) cores; batchkit $(batchkit --version | cut -d' ' -f2); $(sinfo --version); $(sinfo -h -o '%D node(s), %c CPUs each')"

cd "$work"
{ echo "#SHELL"; echo "1|-1|1|0|s1|true|"; for i in $(seq 2 "$n"); do echo "$i|$((i - 1))|1|0|s$i|true|"; done; } > chain.lst
{ echo "#SHELL"; for i in $(seq 1 "$n"); do echo "$i|-1|1|0|s$i|true|"; done; } > wave.lst

time_run() { local start; start=$(now); batchkit run "$@" >/dev/null 2>&1; elapsed "$start" "$(now)"; }
raw_chain() {
  local start previous="" id
  start=$(now)
  for i in $(seq 1 "$n"); do
    id=$(sbatch --parsable --output=/dev/null ${previous:+--dependency=afterok:$previous} --wrap true)
    previous=$id
  done
  until [ "$(squeue -h --states=all -j "$id" -o %T)" = COMPLETED ]; do sleep 0.05; done
  elapsed "$start" "$(now)"
}

local_chain=(); slurm_chain=(); raw=(); slurm_wave=()
for _ in $(seq "$runs"); do
  local_chain+=("$(time_run chain.lst)")
  slurm_chain+=("$(time_run chain.lst --backend slurm)")
  raw+=("$(raw_chain)")
  slurm_wave+=("$(time_run wave.lst --backend slurm)")
done
m_local=$(printf '%s\n' "${local_chain[@]}" | median)
m_slurm=$(printf '%s\n' "${slurm_chain[@]}" | median)
m_raw=$(printf '%s\n' "${raw[@]}" | median)
m_wave=$(printf '%s\n' "${slurm_wave[@]}" | median)
echo
echo "chain of $n trivial steps, median of $runs runs (all runs: local ${local_chain[*]} | slurm ${slurm_chain[*]} | raw ${raw[*]})"
printf '  %-44s %6s s  (%s s per step)\n' "batchkit run (local)" "$m_local" "$(ratio "$m_local" "$n")"
printf '  %-44s %6s s  (%s s per step)\n' "batchkit run --backend slurm" "$m_slurm" "$(ratio "$m_slurm" "$n")"
printf '  %-44s %6s s  (%s s per step)\n' "sbatch --dependency=afterok chain by hand" "$m_raw" "$(ratio "$m_raw" "$n")"
printf '  %-44s %6s\n' "--backend slurm / Slurm's own floor" "$(ratio "$m_slurm" "$m_raw")x"
echo "wave of $n independent steps with --backend slurm: $m_wave s (all runs: ${slurm_wave[*]})"
