"""Dagster orchestration of the cx360 refresh (`orchestration.definitions:defs`).

resources.py    where the raw folder and warehouse are (env CX360_RAW_DIR / CX360_WAREHOUSE_DIR)
dbt_project.py  the one cached DbtProject, its manifest prepared on load
assets.py       landing (one asset per raw table), dbt models, publish
checks.py       Great Expectations suites as blocking asset checks, freshness checks
jobs.py         the refresh job, its daily schedule and the new-batch-file sensor
ui.py           `cx360 ui`: dagster-webserver + dagster-daemon with a local DAGSTER_HOME
"""
