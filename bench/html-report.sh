#!/usr/bin/env bash
# report.html of a large run: a task list of 1,000 cheap steps (`true`; step i after step i/2),
# run RUNS times so that every step has a sparkline of RUNS points, then of the last run's page:
#   a. its size (limit: under 2 MB)
#   b. headless Chromium's time to load and draw it (`--screenshot`, 1280×2000) and to load it and
#      print its DOM (`--dump-dom`), minus the same for a trivial page, alternated in the same run
#      (limit: under 2 s)
#   c. what writing it adds to a run (limit: under 20 ms). A run cannot be told not to write it,
#      so its parts are measured: the CPU time inside RunReport.html(trends:dagSVG:) (making the
#      page, on the run's path), from perf profiles of RUNS more runs; the wall time of writing the
#      file (from the open of its temporary file to its rename, fsync included), from a system-call
#      trace of the last run (`strace -f -ttt`). The steps' trends (StepTrends.read) are read from
#      logs/execution_logs.csv on another thread as the run starts, while its steps run: their CPU
#      time is shown too, but it is not on the run's path. When the build has
#      `report --html RUN_ID`, its time (the page from report.json, start-up included) is shown
#      too, minus `report RUN_ID` (the text report the same way).
#
#   bench/html-report.sh [STEPS] [RUNS]   (defaults 1000 and 5; RUNS runs of the list, and
#                                          RUNS timings of each figure, medians reported)
#
# Needs the release build (`swift build -c release --product batchkit`; or BATCHKIT=/path/to/batchkit),
# chromium (CHROMIUM=/path), and strace; perf when there (as root, or with perf_event_paranoid ≤ 1). KEEP=1 keeps the work folder in /tmp.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
steps=${1:-1000}
runs=${2:-5}
bk=${BATCHKIT:-$here/.build/release/batchkit}
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x $bk ]] || { echo "error: no $bk; build it with 'swift build -c release --product batchkit' (or set BATCHKIT)" >&2; exit 1; }
[[ -x $chromium ]] || { echo "error: no $chromium (set CHROMIUM)" >&2; exit 1; }
command -v strace >/dev/null || { echo "error: no strace" >&2; exit 1; }
work=$(mktemp -d /tmp/batchkit-bench-html.XXXXXX)
[[ ${KEEP:-} == 1 ]] && trap 'echo "kept $work"' EXIT || trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%s–%s", a, b }'; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a - b }'; }
fail() { echo "FAIL: $*" >&2; exit 1; }
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited with $?" >&2' ERR
timed() { local -n into=$1; shift; local start; start=$(now); "$@" >/dev/null 2>&1; into+=("$(sub "$(now)" "$start")"); }

echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//');" \
  "$($bk --version); $("$chromium" --version 2>/dev/null | head -1)"
echo "steps: $steps, runs: $runs, work folder: $work"

# --- The list: step 1 first, step i after step i/2 (a binary tree, 10 levels for 1,000 steps). ---
list=$work/tree.lst
{ echo "#SHELL"
  for i in $(seq "$steps"); do
    printf '%d|%s|1|0|step %d|true|\n' "$i" "$([[ $i == 1 ]] && echo -1 || echo $((i / 2)))" "$i"
  done; } > "$list"

# --- RUNS runs; the last one traced. ---
wall=()
for r in $(seq $((runs - 1))); do timed wall "$bk" run "$list"; done
strace -f -ttt -qq -e trace=openat,rename -o "$work/trace" "$bk" run "$list" >/dev/null 2>&1
run=$(ls "$work/logs/runs" | sort | tail -1)
page=$work/logs/runs/$run/report.html
[[ -s $page ]] || fail "no report.html in $work/logs/runs/$run"
grep -q "step $steps" "$page" || fail "report.html does not name step $steps"
size=$(stat -c %s "$page")

# c. From the creation of report.html's temporary file to its rename (writing it and its fsync).
write=$(awk '/\.report\.html\.[0-9]+\.tmp"/ && /O_CREAT/ { opened = $2 }
  /rename\(/ && /report\.html"\)/ && opened { renamed = $2 }
  END { if (opened && renamed) printf "%.4f\n", renamed - opened }' "$work/trace")
[[ -n $write ]] || fail "the trace has no temporary report.html created then renamed (see $work/trace)"

# c''. With perf: RUNS more runs sampled at 4 kHz, the CPU time spent inside RunReport.html(trends:dagSVG:)
#      (the page) and StepTrends.read (the last runs of each step, read from execution_logs.csv for it),
#      callees included: each symbol's share of the samples times the samples' total CPU time.
pagecpu=(); trendscpu=(); have_perf=no
if command -v perf >/dev/null && perf record -q -o "$work/perf.test" true >/dev/null 2>&1; then
  have_perf=yes
  for r in $(seq "$runs"); do
    perf record -q -F 4000 -g -o "$work/perf.data" "$bk" run "$list" >/dev/null 2>&1
    perf report -i "$work/perf.data" --children --sort sym --stdio -g none 2>/dev/null > "$work/perf.txt"
    ms() { awk -v sym="$1" '/^# Event count/ { total = $NF } index($0, sym) && !found { sub("%", "", $1); found = $1 }
      END { if (found == "") exit 1; printf "%.1f\n", found / 100 * total / 1e6 }' "$work/perf.txt"; }
    pagecpu+=("$(ms '$s14BatchKitRunner9RunReportV4html6trends6dagSVG')") || fail "no RunReport.html in the profile (see $work/perf.txt)"
    trendscpu+=("$(ms '$s14BatchKitRunner10StepTrendsV4read')") || fail "no StepTrends.read in the profile (see $work/perf.txt)"
  done
else
  echo "*** SKIPPED: perf is missing or not allowed: the CPU time of making the page is not measured ***" >&2
fi

# c'. `report --html RUN_ID`, when this build has it, against `report RUN_ID`.
reporthtml=(); reporttext=(); have_report_html=no
if "$bk" run "$list" report --help 2>&1 | grep -q -- '--html'; then
  have_report_html=yes
  for r in $(seq "$runs"); do
    timed reporttext "$bk" run "$list" report "$run"
    timed reporthtml "$bk" run "$list" report --html "$run"
  done
fi

# --- b. Chromium, alternating the page and a trivial one. ---
printf '<!doctype html><meta charset="utf-8"><title>t</title><p>trivial</p>\n' > "$work/trivial.html"
shot() { "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2000 --screenshot="$work/shot.png" "file://$1"; }
dom() { "$chromium" --headless --no-sandbox --disable-gpu --dump-dom "file://$1"; }
shot "$work/trivial.html" >/dev/null 2>&1  # warm the page cache
shotpage=(); shotbase=(); dompage=(); dombase=()
for r in $(seq "$runs"); do
  timed shotbase shot "$work/trivial.html"
  timed shotpage shot "$page"
  timed dombase dom "$work/trivial.html"
  timed dompage dom "$page"
done
[[ -s $work/shot.png ]] || fail "chromium made no screenshot"
dom "$page" 2>/dev/null | grep -q "step $steps" || fail "chromium's DOM of the page does not name step $steps"

# --- The table. ---
m() { printf '%s\n' "$@" | median; }
r() { printf '%s\n' "$@" | range; }
row() { printf '%-66s %9.3f s  (%s)\n' "$1" "$(m "${@:2}")" "$(r "${@:2}")"; }
echo
echo "a. report.html of the last run: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1e6 }') MB; limit 2 MB)"
echo
echo "median of $runs timings (min–max):"
row "   run of the list ($steps steps; the page is written in each)" "${wall[@]}"
row "b. chromium --screenshot, report.html" "${shotpage[@]}"
row "   chromium --screenshot, trivial page" "${shotbase[@]}"
row "   chromium --dump-dom, report.html" "${dompage[@]}"
row "   chromium --dump-dom, trivial page" "${dombase[@]}"
if [[ $have_perf == yes ]]; then
  printf '%-66s %9s ms (%s)\n' "c''. CPU inside RunReport.html, profiled" "$(m "${pagecpu[@]}")" "$(r "${pagecpu[@]}")"
  printf '%-66s %9s ms (%s)\n' "     CPU inside StepTrends.read, profiled" "$(m "${trendscpu[@]}")" "$(r "${trendscpu[@]}")"
fi
if [[ $have_report_html == yes ]]; then
  row "c'. report --html RUN_ID" "${reporthtml[@]}"
  row "    report RUN_ID" "${reporttext[@]}"
fi
awk -v sp="$(m "${shotpage[@]}")" -v sb="$(m "${shotbase[@]}")" -v dp="$(m "${dompage[@]}")" -v db="$(m "${dombase[@]}")" \
    -v write="$write" -v rh="$(m "${reporthtml[@]:-0}")" -v rt="$(m "${reporttext[@]:-0}")" \
    -v pc="$(m "${pagecpu[@]:-0}")" -v tc="$(m "${trendscpu[@]:-0}")" -v n="$runs" 'BEGIN {
  printf "\nb. chromium, report.html minus the trivial page: --screenshot %.3f s, --dump-dom %.3f s (limit 2 s)\n", sp - sb, dp - db
  printf "c. writing report.html (temporary file, fsync, rename), in the traced last run: %.1f ms\n", write * 1000
  if (pc > 0) printf "   CPU inside RunReport.html (making the page), median of %d profiled runs: %.1f ms\n   on the run'\''s path together: %.1f ms (limit 20 ms)\n   off it: CPU inside StepTrends.read (the trends, read as the run starts): %.1f ms\n", n, pc, pc + write * 1000, tc
  if (rh > 0) printf "c'\''. report --html minus report: %.1f ms\n", (rh - rt) * 1000
}'
