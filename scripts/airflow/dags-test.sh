#!/usr/bin/env bash
# Runs one exported DAG once with `airflow dags test`, in a throwaway Airflow
# home (SQLite database, no scheduler or webserver), and exits with Airflow's
# status: 0 when every task succeeded.
#
#   scripts/airflow/dags-test.sh DAG_FILE [DAG_ID [LOGICAL_DATE]]
#
# DAG_ID defaults to the file's name without .py (what `export airflow` uses
# when the file is named after the job); LOGICAL_DATE (2026-11-02) to now.
# Each task's run date is the DAG run's logical date. Airflow comes from
# $BATCHKIT_AIRFLOW_VENV (see install.sh), else from PATH.
set -euo pipefail
file=${1:?usage: dags-test.sh DAG_FILE [DAG_ID [LOGICAL_DATE]]}
dag_id=${2:-$(basename "$file" .py)}
logical_date=${3:-}
venv=${BATCHKIT_AIRFLOW_VENV:-$HOME/.local/share/batchkit/airflow-venv}
airflow=$venv/bin/airflow
[ -x "$airflow" ] || airflow=$(command -v airflow) || { echo "Airflow is not installed: run scripts/airflow/install.sh" >&2; exit 1; }

home=$(mktemp -d "${TMPDIR:-/tmp}/batchkit-airflow.XXXXXX")
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/dags"
cp "$file" "$home/dags/"
export AIRFLOW_HOME=$home
export AIRFLOW__CORE__DAGS_FOLDER=$home/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__LOGGING__LOGGING_LEVEL=${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}
"$airflow" db migrate >"$home/migrate.log" 2>&1 || { cat "$home/migrate.log" >&2; exit 1; }
status=0
"$airflow" dags test "$dag_id" ${logical_date:+"$logical_date"} || status=$?
exit $status
