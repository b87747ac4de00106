#!/usr/bin/env bash
# Incremental runs of a task list whose steps declare READS and WRITES:
#   a. the first run (every step runs), for reference
#   b. a rerun with nothing changed (every step CACHED): the whole command
#   c. a rerun after one input file changed (only the steps downstream of it run)
#   d. a rerun after `touch` of every input (content unchanged: all CACHED, 1 GiB hashed again)
#   e. `--explain` with nothing changed, and with every input touched (hashing alone)
# Baselines in the same run: the same DAG as a Makefile (`make -q`, `make -n`), as a
# Snakefile (`snakemake -n`, from PyPI into a venv), and coreutils reading and hashing
# the same files (`cat`, `cksum`, `md5sum`, `b2sum`, two processes at a time).
#
# The DAG: step i reads in/f_i (1 MiB) and the outputs of steps i/2 and i/3, and
# writes out/o_i with `cksum` of what it reads. The inputs are real files of this
# machine (/usr/share, /usr/lib and the Swift toolchain, concatenated and cut into
# 1 MiB pieces), not patterns. Files are in the page cache throughout.
#
#   bench/incremental.sh [--quick] [RUNS]   (default 5 runs, medians reported;
#                                            --quick: 100 steps and 100 MiB)
#
# Needs the release build (`swift build -c release`; or BATCHKIT=/path/to/batchkit),
# python3, and GNU time (/usr/bin/time). make and PyPI are used when there. KEEP=1 keeps the
# work folder in /tmp.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
steps=1000
runs=5
for argument in "$@"; do
  case $argument in
    --quick) steps=100 ;;
    [0-9]*) runs=$argument ;;
    *) echo "usage: bench/incremental.sh [--quick] [RUNS]" >&2; exit 64 ;;
  esac
done
bk=${BATCHKIT:-$here/.build/release/batchkit}
[[ -x $bk ]] || { echo "error: no $bk; build it with 'swift build -c release' (or set BATCHKIT)" >&2; exit 1; }
venv=${SNAKEMAKE_VENV:-/tmp/batchkit-bench-snakemake}
work=$(mktemp -d /tmp/batchkit-bench-incremental.XXXXXX)
# KEEP=1 keeps the work folder (corpus, list, logs) for a closer look.
[[ ${KEEP:-} == 1 ]] && trap 'echo "kept $work"' EXIT || trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%s–%s", a, b }'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a - b }'; }
fail() { echo "FAIL: $*" >&2; exit 1; }
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited with $?" >&2' ERR
# timed VAR CMD...: appends the wall time of CMD (output discarded) to the array VAR.
timed() { local -n into=$1; shift; local start; start=$(now); "$@" >/dev/null 2>&1; into+=("$(sub "$(now)" "$start")"); }
# timedcpu WALL CPU CMD...: the same with GNU time, also appending user + system CPU seconds to the array CPU.
timedcpu() {
  local -n wall=$1 cpu=$2; shift 2
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>&1
  wall+=("$(cut -d' ' -f1 "$work/time")"); cpu+=("$(awk '{ print $2 + $3 }' "$work/time")")
}

echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//');" \
  "$($bk --version); $(python3 --version); $(make --version 2>/dev/null | head -1 || echo 'no make')"
echo "steps: $steps, runs: $runs, work folder: $work"

# --- The corpus: real files of this machine, cut into 1 MiB inputs. ---
mkdir -p "$corpus/in" "$corpus/out"
toolchain=$(dirname "$(dirname "$(command -v swift || echo /usr/bin/swift)")")
sources=(/usr/share /usr/lib "$toolchain")
total=$((steps * 1048576))
share=$((total / ${#sources[@]}))
part() {  # $1 folder, $2 bytes: the folder's readable files in name order, concatenated
  find "$1" -type f -readable -size +0 2>/dev/null | LC_ALL=C sort | tr '\n' '\0' | xargs -0 cat 2>/dev/null | head -c "$2" || true
}
start=$(now)
# A third from each; where one holds less, the rest comes from all of them again.
{ part "${sources[0]}" "$share"; part "${sources[1]}" "$share"; part "${sources[2]}" "$((total - 2 * share))"
  for source in "${sources[@]}"; do part "$source" "$total"; done; } 2>/dev/null \
  | { head -c "$total" || true; } | split -b 1048576 -a 4 --numeric-suffixes=1 - "$corpus/in/f_" || true
count=$(find "$corpus/in" -type f -size 1024k | wc -l)
[[ $count == "$steps" ]] || fail "the corpus has $count inputs of 1 MiB, not $steps (not enough readable files under ${sources[*]}?)"
distinct=$(md5sum "$corpus"/in/* | cut -d' ' -f1 | sort -u | wc -l)
echo "corpus: $steps × 1 MiB from ${sources[*]} ($distinct distinct inputs; made in $(sub "$(now)" "$start") s)"

# --- The DAG, as a task list, a Makefile and a Snakefile. ---
python3 - "$corpus" "$steps" <<'PY'
import sys
folder, n = sys.argv[1], int(sys.argv[2])
name = lambda i: f"{i:04d}"
parents = {i: sorted({p for p in (i // 2, i // 3) if p >= 1}) for i in range(1, n + 1)}
with open(f"{folder}/dag.lst", "w") as lst, open(f"{folder}/Makefile", "w") as make:
    lst.write("#SHELL\n")
    make.write("all: " + " ".join(f"out/o_{name(i)}" for i in parents) + "\n")
    for i, ps in parents.items():
        reads = [f"in/f_{name(i)}"] + [f"out/o_{name(p)}" for p in ps]
        command = f"cksum {' '.join(reads)} > out/o_{name(i)}"
        lst.write(f"{i}|{','.join(map(str, ps)) or '-1'}|1|0|step {i}|{command}||||{','.join(reads)}|out/o_{name(i)}\n")
        make.write(f"out/o_{name(i)}: {' '.join(reads)}\n\t{command}\n")
with open(f"{folder}/Snakefile", "w") as snake:
    snake.write(f"PARENTS = {{{', '.join(repr(name(i)) + ': ' + repr([name(p) for p in ps]) for i, ps in parents.items())}}}\n")
    snake.write('rule all:\n    input: expand("out/o_{i}", i=list(PARENTS))\n')
    snake.write('rule step:\n    input: lambda w: ["in/f_" + w.i] + ["out/o_" + p for p in PARENTS[w.i]]\n'
                '    output: "out/o_{i}"\n    wildcard_constraints: i="[0-9]+"\n    shell: "cksum {input} > {output}"\n')
PY
# The input changed in (c), and the steps downstream of it (itself included).
changed=$((steps / 20))
downstream=$(python3 -c '
import sys
n, k = int(sys.argv[1]), int(sys.argv[2])
down = {k}
for i in range(k + 1, n + 1):
    if i // 2 in down or i // 3 in down: down.add(i)
print(" ".join(map(str, sorted(down))))' "$steps" "$changed")
echo "change in (c): in/f_$(printf %04d "$changed"), $(wc -w <<<"$downstream") steps downstream of it"

# check WHAT [IDS]: the rows of the last run in the CSV; with IDS, exactly those PASS and the rest CACHED,
# else all CACHED. Prints "PASS CACHED".
check() {
  python3 - "$corpus/logs/execution_logs.csv" "$steps" "$1" "${2:-}" <<'PY'
import csv, sys
path, n, what, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3], {int(x) for x in sys.argv[4].split()}
rows = list(csv.DictReader(open(path, newline="")))
last = [r for r in rows if r["run_id"] == rows[-1]["run_id"]]
status = {int(r["step_id"]): r["status"] for r in last}
passed = {i for i, s in status.items() if s == "PASS"}
cached = {i for i, s in status.items() if s == "CACHED"}
problems = []
if len(last) != n or set(status) != set(range(1, n + 1)): problems.append(f"{len(last)} rows, not one for each of {n} steps")
if passed != expected: problems.append(f"PASS: {len(passed)} steps, expected {len(expected)}; wrong: {sorted(passed ^ expected)[:10]}")
if cached != set(range(1, n + 1)) - expected: problems.append(f"CACHED: {len(cached)} steps, expected {n - len(expected)}")
if problems:
    sys.exit(f"FAIL ({what}): " + "; ".join(problems) + f"; statuses: {sorted(set(status.values()))}")
print(len(passed), len(cached))
PY
}

# --- a. First runs: no logs/, no outputs. The last one leaves the no-change state. ---
first=()
for r in $(seq "$runs"); do
  rm -rf "$corpus/logs" "$corpus/out"; mkdir "$corpus/out"
  timed first "$bk" run "$corpus/dag.lst"
  check "first run" "$(seq -s' ' "$steps")" >/dev/null
done
# A step's output is hashed right after it is written, too fresh for the index to keep
# (FileHashes.settled): the first rerun reads them once more. Time it apart.
sleep 0.1
settle=(); timed settle "$bk" run "$corpus/dag.lst"; check "first rerun" "" >/dev/null

# --- b. No change; e. --explain with no change. Baselines: make -q, snakemake -n. ---
nochange=(); nochangecpu=(); explain=(); explaincpu=(); makeq=(); snake=()
have_snakemake=no
if [[ ! -x $venv/bin/snakemake ]]; then
  echo "installing Snakemake from PyPI into $venv …"
  if python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q snakemake >/dev/null 2>&1; then :; else
    echo "*** SKIPPED: Snakemake could not be installed from PyPI into $venv (no network?); no snakemake baseline ***" >&2
  fi
fi
[[ -x $venv/bin/snakemake ]] && have_snakemake=yes
have_make=no; [[ -x /usr/bin/make ]] && have_make=yes || echo "*** SKIPPED: no /usr/bin/make; no make baseline ***" >&2
for r in $(seq "$runs"); do
  timedcpu nochange nochangecpu "$bk" run "$corpus/dag.lst"
  check "no-change rerun" "" >/dev/null
  timedcpu explain explaincpu "$bk" run "$corpus/dag.lst" --explain
  if [[ $have_make == yes ]]; then
    timed makeq make -C "$corpus" -q || true
    make -C "$corpus" -q >/dev/null 2>&1 || fail "make -q finds the no-change state out of date"
  fi
  if [[ $have_snakemake == yes ]]; then
    timed snake "$venv/bin/snakemake" -d "$corpus" -s "$corpus/Snakefile" -n --cores 1
  fi
done
"$bk" run "$corpus/dag.lst" --explain > "$work/explain.txt" 2>&1
grep -q "^0 step(s) would run, $steps up to date" "$work/explain.txt" || fail "--explain, no change: $(tail -1 "$work/explain.txt")"
if [[ $have_snakemake == yes ]]; then
  "$venv/bin/snakemake" -d "$corpus" -s "$corpus/Snakefile" -n --cores 1 > "$work/snake.txt" 2>&1 \
    || fail "snakemake -n failed: $(tail -5 "$work/snake.txt")"
  grep -q "Nothing to be done" "$work/snake.txt" || fail "snakemake -n finds work in the no-change state: $(tail -5 "$work/snake.txt")"
fi

# --- c. One input changed (16 bytes in its middle, new ones each time). ---
onechange=(); maken=(); snaken=(); counts=""
target=$corpus/in/f_$(printf %04d "$changed")
expected_n=$(wc -w <<<"$downstream")
for r in $(seq "$runs"); do
  printf 'batchkit-bench%02d' "$r" | dd of="$target" bs=1 seek=524288 conv=notrunc status=none
  if [[ $r == 1 ]]; then
    "$bk" run "$corpus/dag.lst" --explain > "$work/explain.txt" 2>&1
    grep -q "^$expected_n step(s) would run" "$work/explain.txt" || fail "--explain, one input changed: $(tail -1 "$work/explain.txt")"
  fi
  if [[ $have_make == yes ]]; then
    timed maken make -C "$corpus" -n
    made=$(make -C "$corpus" -n | grep -c '^cksum')
    [[ $made == "$expected_n" ]] || fail "make -n would run $made steps, not $expected_n"
  fi
  [[ $have_snakemake == yes ]] && timed snaken "$venv/bin/snakemake" -d "$corpus" -s "$corpus/Snakefile" -n --cores 1
  timed onechange "$bk" run "$corpus/dag.lst"
  counts=$(check "one input changed" "$downstream")
done
sleep 0.1; "$bk" run "$corpus/dag.lst" >/dev/null 2>&1; check "rerun after (c)" "" >/dev/null

# --- d. Every input touched: content unchanged, so all CACHED, and every input hashed again.
#     e'. --explain after the touch: the same hashing without the run (it saves no index). ---
touchrun=(); touchcpu=(); touchexplain=(); touchexplaincpu=()
for r in $(seq "$runs"); do
  touch "$corpus"/in/*
  timedcpu touchrun touchcpu "$bk" run "$corpus/dag.lst"
  check "every input touched" "" >/dev/null
  touch "$corpus"/in/*
  timedcpu touchexplain touchexplaincpu "$bk" run "$corpus/dag.lst" --explain
done

# --- Hashing the same files with coreutils, two processes (one per core). ---
catrun=(); cksumrun=(); md5run=(); b2run=()
for r in $(seq "$runs"); do
  timed catrun bash -c "ls -d '$corpus'/in/* | xargs -P 2 -n $((steps / 2)) cat"
  timed cksumrun bash -c "ls -d '$corpus'/in/* | xargs -P 2 -n $((steps / 2)) cksum"
  timed md5run bash -c "ls -d '$corpus'/in/* | xargs -P 2 -n $((steps / 2)) md5sum"
  timed b2run bash -c "ls -d '$corpus'/in/* | xargs -P 2 -n $((steps / 2)) b2sum"
done

# --- The table. ---
m() { printf '%s\n' "$@" | median; }
r() { printf '%s\n' "$@" | range; }
row() { printf '%-62s %9.3f s  (%s)\n' "$1" "$(m "${@:2}")" "$(r "${@:2}")"; }
gib=$(awk -v n="$steps" 'BEGIN { print n * 1048576 / 1e9 }')
echo
echo "median of $runs runs (min–max), $steps steps, $steps MiB of inputs in the page cache:"
row "a. first run (every step runs)" "${first[@]}"
row "   first rerun after it (outputs' hashes settle; 1 run)" "${settle[@]}"
row "b. no change: all CACHED" "${nochange[@]}"
row "c. one input changed: $counts (PASS CACHED)" "${onechange[@]}"
row "d. every input touched: all CACHED, inputs hashed again" "${touchrun[@]}"
row "e. --explain, no change" "${explain[@]}"
row "   --explain, every input touched" "${touchexplain[@]}"
[[ $have_make == yes ]] && row "make -q, no change" "${makeq[@]}" && row "make -n, one input changed" "${maken[@]}"
[[ $have_snakemake == yes ]] && row "snakemake -n, no change" "${snake[@]}" && row "snakemake -n, one input changed" "${snaken[@]}"
row "cat of every input (2 processes)" "${catrun[@]}"
row "cksum of every input (2 processes)" "${cksumrun[@]}"
row "md5sum of every input (2 processes)" "${md5run[@]}"
row "b2sum of every input (2 processes)" "${b2run[@]}"
awk -v b="$(m "${nochange[@]}")" -v c="$(m "${onechange[@]}")" -v d="$(m "${touchrun[@]}")" -v e="$(m "${explain[@]}")" \
    -v te="$(m "${touchexplain[@]}")" -v g="$gib" -v cores="$(nproc)" \
    -v bc="$(m "${nochangecpu[@]}")" -v dc="$(m "${touchcpu[@]}")" -v ec="$(m "${explaincpu[@]}")" -v tec="$(m "${touchexplaincpu[@]}")" \
    -v mq="$(m "${makeq[@]:-0}")" -v mn="$(m "${maken[@]:-0}")" -v sq="$(m "${snake[@]:-0}")" -v sn="$(m "${snaken[@]:-0}")" 'BEGIN {
  printf "\nCPU time (user + system), medians: no-change run %.2f s, touched run %.2f s; --explain %.2f s, touched %.2f s\n", bc, dc, ec, tec
  printf "hashing %.3f GB again, from the differences of the medians:\n", g
  printf "  wall, run (d) - run (b):                 %.3f s = %.2f GB/s over %d cores, %.2f GB/s per core\n", d - b, g / (d - b), cores, g / (d - b) / cores
  printf "  wall, --explain touched - --explain:     %.3f s = %.2f GB/s over %d cores, %.2f GB/s per core\n", te - e, g / (te - e), cores, g / (te - e) / cores
  printf "  CPU, --explain touched - --explain:      %.3f s = %.2f GB per CPU-second (per core, whatever else runs)\n", tec - ec, g / (tec - ec)
  if (mq > 0) printf "ratios: no-change run / make -q = %.1f; one-change run / make -n = %.1f\n", b / mq, c / mn
  if (sq > 0) printf "        snakemake -n / no-change run = %.1f; snakemake -n (one change) / one-change run = %.1f\n", sq / b, sn / c
}'
