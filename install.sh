#!/usr/bin/env bash
# Builds batchkit in release mode and installs it:
#
#   $PREFIX/bin/batchkit                    the command
#   $PREFIX/share/batchkit/Templates/       what `batchkit new` generates from
#   $PREFIX/share/batchkit/Runtime/        the runtime modules vendored into new jobs
#
# PREFIX defaults to /usr/local when it is writable, else ~/.local. Running it
# again replaces the installation. The installed command needs nothing from
# this checkout, which may then be moved or deleted. BATCHKIT_SCRATCH_PATH
# names the build folder (default .build).
#
#   ./install.sh                  install
#   PREFIX=~/opt ./install.sh     install under ~/opt
#   ./install.sh --help           this text
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 64 ;;
  esac
done

required="6.0"
if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain is not installed (no 'swift' on PATH)." >&2
  echo "batchkit needs Swift $required or newer: https://www.swift.org/install/ — then run ./install.sh again." >&2
  exit 1
fi
banner=$(swift --version 2>&1 | head -n 1)
version=$(printf '%s\n' "$banner" | sed -n 's/.*Swift version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1.\2/p')
major=${version%%.*}
if [ -z "$version" ] || [ "$major" -lt "${required%%.*}" ]; then
  echo "error: batchkit needs Swift $required or newer; 'swift --version' says: $banner" >&2
  echo "Install a newer toolchain from https://www.swift.org/install/ and run ./install.sh again." >&2
  exit 1
fi

if [ -z "${PREFIX:-}" ]; then
  if [ -w /usr/local ] && { [ ! -e /usr/local/bin ] || [ -w /usr/local/bin ]; }; then
    PREFIX=/usr/local
  else
    PREFIX="$HOME/.local"
  fi
fi
bin="$PREFIX/bin"
share="$PREFIX/share/batchkit"

echo "Building batchkit (release)..."
scratch=${BATCHKIT_SCRATCH_PATH:-.build}
# Swift's standard library and Foundation are linked into the command when
# the toolchain has them as static libraries (swift.org's Linux toolchains
# do): it then starts in about 3 ms instead of 7 (every run pays this), and
# needs no Swift libraries at run time.
flags=(-c release --scratch-path "$scratch")
toolchain_lib="$(dirname "$(readlink -f "$(command -v swift)")")/../lib"
if [ "$(uname -s)" = Linux ] && [ -e "$toolchain_lib/swift_static/linux/libFoundation.a" ]; then
  flags+=(--static-swift-stdlib)
fi
# Linked statically, the toolchain's own Foundation makes the linker warn
# about its use of mktemp (swiftlang/swift-foundation#1358): not ours, not
# actionable, so that one line is left out.
swift build "${flags[@]}" --product batchkit 2>&1 | { grep -v "warning: the use of \`mktemp' is dangerous" || true; }
built="$(swift build "${flags[@]}" --show-bin-path)/batchkit"

mkdir -p "$bin" "$PREFIX/share"
# Assemble the new files beside the old ones, then swap with renames, so an
# interrupted install never leaves a half-copied installation.
staging="$PREFIX/share/.batchkit.new.$$"
rm -rf "$staging"
mkdir -p "$staging/Runtime"
cp -R Templates "$staging/Templates"
# The runtime's modules are the targets of the package vendored into jobs.
for module in $(sed -n 's/^ *\.target(name: "\([A-Za-z]*\)".*/\1/p' Templates/runtime/Package.swift); do
  cp -R "Sources/$module" "$staging/Runtime/$module"
done
sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/BatchKit/BatchKit.swift > "$staging/VERSION"
rm -rf "$share.old.$$"
[ -e "$share" ] && mv "$share" "$share.old.$$"
mv "$staging" "$share"
rm -rf "$share.old.$$"
cp "$built" "$bin/.batchkit.new.$$"
mv -f "$bin/.batchkit.new.$$" "$bin/batchkit"

echo "Installed batchkit $(cat "$share/VERSION") to $bin/batchkit (templates and runtime in $share)."
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "Note: $bin is not on your PATH. Add it, e.g. for bash:"
     echo "  echo 'export PATH=\"$bin:\$PATH\"' >> ~/.bashrc && export PATH=\"$bin:\$PATH\"" ;;
esac
