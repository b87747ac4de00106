#!/usr/bin/env bash
# Installs Apache Airflow 3 into a virtual environment, for trying a job's
# exported DAG (./run.sh export airflow) with `airflow dags test`.
#
#   scripts/airflow/install.sh [VENV]     default: $BATCHKIT_AIRFLOW_VENV, else
#                                         ~/.local/share/batchkit/airflow-venv
#
# Needs python3 with venv (Debian: apt-get install python3-venv) and PyPI.
# About 30 s on a 2-core machine. Running it again reuses the environment.
set -euo pipefail
venv=${1:-${BATCHKIT_AIRFLOW_VENV:-$HOME/.local/share/batchkit/airflow-venv}}
version=${AIRFLOW_VERSION:-3.3.2}
if [ -x "$venv/bin/airflow" ] && "$venv/bin/python" -c "import airflow, sys; sys.exit(airflow.__version__ != '$version')" 2>/dev/null; then
  echo "Airflow $version is already installed in $venv"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "apache-airflow==$version"
echo "Installed Airflow $version in $venv"
echo "Try a DAG with: scripts/airflow/dags-test.sh DAG_FILE   (BATCHKIT_AIRFLOW_VENV=$venv)"
