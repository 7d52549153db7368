#!/usr/bin/env bash
# Fresh Superset metadata under $SUPERSET_HOME, a server on 127.0.0.1:8088, superset_check.py, stop.
# Needs: superset-venv (or SUPERSET_VENV) (README.md), a published DuckDB file and a Postgres run (README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${SUPERSET_VENV:-$PWD/superset-venv}
export SUPERSET_HOME=${SUPERSET_HOME:-/tmp/superset_home}
export SUPERSET_CONFIG_PATH=$SUPERSET_HOME/superset_config.py
mkdir -p "$SUPERSET_HOME"
cp "$here/superset_config.py" "$SUPERSET_CONFIG_PATH"
[ -f "$SUPERSET_HOME/.secret_key" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(42))' > "$SUPERSET_HOME/.secret_key"
export SUPERSET_SECRET_KEY=$(cat "$SUPERSET_HOME/.secret_key")
cd "$SUPERSET_HOME"
time "$venv/bin/superset" db upgrade > db_upgrade.log 2>&1
time "$venv/bin/superset" fab create-admin --username admin --firstname Ada --lastname Admin \
    --email admin@example.invalid --password admin-cx360 > create_admin.log 2>&1
time "$venv/bin/superset" init > init.log 2>&1
"$venv/bin/superset" run -h 127.0.0.1 -p 8088 --with-threads > server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 60); do
    curl -sf http://127.0.0.1:8088/health > /dev/null && break
    kill -0 $server || { tail -20 server.log; exit 1; }
    sleep 1
done
"$venv/bin/python" "$here/superset_check.py" \
    --duckdb-file "${DUCKDB_FILE:-/tmp/bi_wh/cx360.duckdb}" \
    --pg-uri "${PG_URI:-postgresql+psycopg2://cx360_bi@127.0.0.1:5432/cx360_superset}" "$@"
