#!/usr/bin/env bash
# Creates the isolated environment of {{JOB_NAME}}: checks the Swift toolchain
# and builds the job in release mode. Everything it needs is in this folder
# (BatchKit is vendored in Vendor/BatchKit), so it works offline.
#
#   ./install.sh             build, printing the compiler's progress
#   ./install.sh --quiet     build, printing only errors
#   ./install.sh --progress  build, printing how far it is every 10 s (on a
#                            terminal: one line redrawn), then errors if any
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

quiet=0
progress=0
for arg in "$@"; do
  case "$arg" in
    --quiet|-q) quiet=1 ;;
    --progress) progress=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 64 ;;
  esac
done

required_major=6
if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain is not installed (no 'swift' on PATH)." >&2
  echo "Install Swift ${required_major}.0 or newer from https://www.swift.org/install/ and run ./install.sh again." >&2
  exit 1
fi
version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1.\2/p' | head -n 1)
major=${version%%.*}
if [ -z "$version" ] || [ "$major" -lt "$required_major" ]; then
  echo "error: {{JOB_NAME}} needs Swift ${required_major}.0 or newer; 'swift --version' says: $(swift --version 2>&1 | head -n 1)" >&2
  echo "Install a newer toolchain from https://www.swift.org/install/ and run ./install.sh again." >&2
  exit 1
fi

# On Linux the Swift runtime is linked statically: every step is a process
# of this binary, and a static one starts in a few milliseconds instead of
# ten or more. (macOS ships the runtime in the OS.)
flags=(-c release --disable-automatic-resolution)
[ "$(uname -s)" = Linux ] && flags+=(--static-swift-stdlib)

mkdir -p .build
# Stamp the start: a source edited during the build makes the next run rebuild.
# The name is per process, so two first runs at once do not collide (SwiftPM
# itself makes the second build wait for the first).
stamp_new=".build/batchkit-build.stamp.$$"
touch "$stamp_new"
# Reads SwiftPM's output (kept in $1 for errors) and says how far the build
# is: its latest finished step ("[12/140] BatchKitRunner compiled") and the time so far,
# every 10 s, or redrawn each second on a terminal. A first build is silent
# for minutes without it.
show_progress() {
  local log=$1 started=$SECONDS next=$((SECONDS + 10)) step="" line status
  local redraw=0
  [ -t 2 ] && [ "${TERM:-dumb}" != dumb ] && redraw=1
  : >"$log"
  while :; do
    line=""
    if IFS= read -r -t 1 line; then
      printf '%s\n' "$line" >>"$log"
    else
      status=$?
      [ -n "$line" ] && printf '%s' "$line" >>"$log"
      [ "$status" -gt 128 ] || break  # end of the output (a timeout is above 128)
    fi
    case "$line" in
      # SwiftPM prints a step when it ends ("[12/15]": 12 of 15 done), so
      # "Compiling Myjob" means Myjob is compiled and the build is on what is left.
      \[*/*\]\ Compiling\ *) step="$(printf '%s' "$line" | cut -d' ' -f1) $(printf '%s' "$line" | cut -d' ' -f3) compiled" ;;
      \[*/*\]\ Linking\ *) step="$(printf '%s' "$line" | cut -d' ' -f1) $(printf '%s' "$line" | cut -d' ' -f3) linked" ;;
    esac
    if [ "$redraw" = 1 ]; then
      printf '\r\033[K  %d s  %s' "$((SECONDS - started))" "$step" >&2
    elif [ "$SECONDS" -ge "$next" ]; then
      echo "  $((SECONDS - started)) s  ${step:-planning the build}" >&2
      next=$((next + 10))
    fi
  done
  [ "$redraw" = 1 ] && printf '\r\033[K' >&2
  return 0
}

if [ "$progress" = 1 ]; then
  log=".build/batchkit-build.log"
  started=$SECONDS
  if ! swift build "${flags[@]}" 2>&1 | show_progress "$log"; then
    rm -f "$stamp_new"
    cat "$log" >&2
    echo "error: the build failed; fix the errors above and run ./run.sh again." >&2
    exit 1
  fi
  echo "Built in $((SECONDS - started)) s." >&2
elif [ "$quiet" = 1 ]; then
  if ! output=$(swift build "${flags[@]}" 2>&1); then
    rm -f "$stamp_new"
    printf '%s\n' "$output" >&2
    echo "error: the build failed; fix the errors above and run ./run.sh again." >&2
    exit 1
  fi
else
  swift build "${flags[@]}" || { rm -f "$stamp_new"; exit 1; }
fi
mv -f "$stamp_new" .build/batchkit-build.stamp
[ "$quiet" = 1 ] || [ "$progress" = 1 ] || echo "Built .build/release/{{JOB_NAME}}. Run the job with ./run.sh"
