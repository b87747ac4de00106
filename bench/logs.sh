#!/usr/bin/env bash
# Log analysis on an access log the code was not designed around: the logs
# template's "Analyze requests" step against an `awk` one-liner computing the
# same three tables (requests per status, per path, bytes per hour), on
# 200 MB made by bench/access-log.py (Combined Log Format, 58,637 distinct
# paths; the template's own generator makes 508). Interleaved runs, medians;
# then the tables are checked equal: every status, the top 20 paths, every
# hour's bytes, the number of distinct paths.
#
#   bench/logs.sh [RUNS]    (default 5)
#
# The step's time is its wall time in logs/execution_logs.csv (its whole
# process). Needs `batchkit` on PATH (./install.sh), python3, awk, GNU time.
# The log is kept in $BATCHKIT_CORPORA (default /tmp/batchkit-corpora).
set -euo pipefail
runs=${1:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corpora=${BATCHKIT_CORPORA:-/tmp/batchkit-corpora}
mkdir -p "$corpora"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
column() { awk -F, -v id="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } $c["step_id"] == id { v = $c[col] } END { print v }' "$1/logs/execution_logs.csv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

log="$corpora/access.log"
[ -f "$log" ] || python3 "$here/access-log.py" "$log"
echo "machine: $(uname -srm), $(nproc) cores; batchkit $(batchkit --version | cut -d' ' -f2); awk: $(readlink -f "$(command -v awk)")"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

cd "$work"
batchkit new lg --template logs >/dev/null
rm -f lg/data/input/*.log
ln -s "$log" lg/data/input/access.log
(cd lg && ./install.sh --quiet && ./run.sh >/dev/null 2>&1) || { echo "the job failed:"; (cd lg && ./run.sh | tail -20); exit 1; }
awk_tables='{ status[$9]++; split($7, p, "?"); path[p[1]]++; bytes[substr($4, 2, 14)] += ($10 == "-") ? 0 : $10 }
END { for (s in status) print "status", s, status[s]; for (q in path) print "path", path[q], q; for (h in bytes) printf "hour %s %.0f\n", h, bytes[h] }'

awk_t=(); step_t=()
for r in $(seq "$runs"); do
  awk_t+=("$(seconds awk "$awk_tables" "$log")")
  (cd lg && ./run.sh --force 2 >/dev/null 2>&1 || true); step_t+=("$(column lg 2 duration_s)")
done
m_awk=$(printf '%s\n' "${awk_t[@]}" | median); m_step=$(printf '%s\n' "${step_t[@]}" | median)

awk "$awk_tables" "$log" > awk.out
check=$(python3 - awk.out lg/data/output <<'PY'
import csv, json, sys
status, paths, hours = {}, {}, {}
months = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
for line in open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    kind, a, b = line.rstrip("\n").split(" ", 2)
    if kind == "status": status[a] = int(b)
    elif kind == "path": paths[b] = int(a)
    else:  # 12/Nov/2026:02 -> 2026-11-12T02
        d, m, rest = a.split("/"); y, h = rest.split(":")
        hours[f"{y}-{months[m]:02d}-{d}T{h}"] = int(b)
out = sys.argv[2]
read = lambda name: [r for r in csv.reader(open(f"{out}/{name}", newline="", encoding="utf-8"))][1:]
job_status = {s: int(n) for s, n in read("requests_by_status.csv")}
job_top = [(p, int(n)) for p, n in read("top_paths.csv")]
job_hours = {h: int(b) for h, b in read("bytes_by_hour.csv")}
distinct = json.load(open(f"{out}/summary.json"))["distinctPaths"]
top = sorted(paths.items(), key=lambda kv: (-kv[1], kv[0].encode()))[: len(job_top)]
problems = []
if job_status != status: problems.append("statuses differ")
if job_top != top: problems.append("top paths differ")
if job_hours != hours: problems.append("bytes per hour differ")
if distinct != len(paths): problems.append(f"distinct paths {distinct} vs {len(paths)}")
print("EQUAL" if not problems else "DIFFERENT: " + ", ".join(problems),
      f"({len(status)} statuses, {len(paths)} distinct paths, top {len(job_top)} compared, {len(hours)} hours)")
PY
)
echo
echo "access log: $(stat -c %s "$log") bytes, $(wc -l < "$log") lines; tables of awk and the job: $check"
echo "  runs (s): awk ${awk_t[*]} | step ${step_t[*]}"
echo "  medians: awk ${m_awk} s; Analyze requests step ${m_step} s: $(ratio "$m_awk" "$m_step")× faster than awk; peak RSS $(( $(column lg 2 max_rss_kb) / 1024 )) MB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
