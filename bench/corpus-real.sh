#!/usr/bin/env bash
# Real text gathered from this machine, for the word-count benchmark: text the
# code was not designed around. In a fixed order (C-locale sorted paths):
#   1. licences: /usr/share/common-licenses/* and /usr/share/doc/*/copyright
#   2. man pages, all sections and languages: zcat of /usr/share/man/**/*.gz
#      (roff source: prose plus macros; translations bring UTF-8 and Latin-1)
#   3. Python's standard library: the interpreter's lib/python3.X/**/*.py,
#      without site-packages
#   4. anything else readable under /usr/share/doc (changelogs, READMEs)
# each capped (1: all, 2: 100 MB, 3: 70 MB), then the whole cut to SIZE bytes.
#
#   bench/corpus-real.sh OUT [SIZE]     (SIZE in bytes, default 200000000)
#
# The same machine gives the same file; another machine gives other text.
set -euo pipefail
out=${1:?usage: bench/corpus-real.sh OUT [SIZE]}
size=${2:-200000000}
export LC_ALL=C
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
{
  find /usr/share/common-licenses -type f | sort | xargs -r cat
  find /usr/share/doc -name copyright -type f | sort | xargs -r cat
  find /usr/share/man -type f -name '*.gz' | sort | xargs -r zcat -f 2>/dev/null | head -c 100000000
  find "$stdlib" -path "$stdlib/site-packages" -prune -o -type f -name '*.py' -print | sort | xargs -r cat | head -c 70000000
  find /usr/share/doc -type f ! -name copyright | sort | xargs -r zcat -f 2>/dev/null
} | head -c "$size" > "$out.partial" || true
got=$(stat -c %s "$out.partial")
[ "$got" -eq "$size" ] || { echo "only $got bytes of text found on this machine (wanted $size)" >&2; rm -f "$out.partial"; exit 1; }
mv "$out.partial" "$out"
