#!/usr/bin/env bash
# Installs PyRunner (python-batch-runner, from PyPI) into a virtual environment,
# to run a #PYTHON task list's workers against the real PyRunner Worker class:
#
#   scripts/pyrunner/install.sh VENV VERSION    VERSION: 4.4.1, or 5 for the newest 5.x
#
# Then: batchkit run tasks.lst --python VENV/bin/python. Needs python3 with venv
# (Debian: apt-get install python3-venv) and PyPI. Running it again reuses the
# environment (for 5, it upgrades to the newest 5.x).
set -euo pipefail
venv=${1:?usage: scripts/pyrunner/install.sh VENV VERSION}
version=${2:?usage: scripts/pyrunner/install.sh VENV VERSION}
case $version in
  5) requirement='python-batch-runner>=5,<6' ;;
  *) requirement="python-batch-runner==$version" ;;
esac
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade "$requirement"
echo "PyRunner $("$venv/bin/python" -c 'import pyrunner.version as v; print(v.__version__)') is installed in $venv"
