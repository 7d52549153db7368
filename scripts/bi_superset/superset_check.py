#!/usr/bin/env python
"""Check Apache Superset against the published cx360 marts, through Superset's REST API.

Registers two Superset databases (the published DuckDB file, read-only, and Postgres as the
read-only BI role cx360_bi), runs the same query through SQL Lab and through a dataset + the
chart-data API, and compares every row with the same query run directly (duckdb / psycopg2).
Also checks that the DuckDB connection is read-only and that the BI role cannot read `audit`.

Run it with the Python of Superset's venv (it needs requests, duckdb, psycopg2), against a
running Superset (`superset run -p 8088`):

    superset-venv/bin/python superset_check.py \
        --duckdb-file /tmp/bi_wh/cx360.duckdb \
        --pg-uri postgresql+psycopg2://cx360_bi@127.0.0.1:5432/cx360_superset

Exit 0 when every comparison matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from decimal import Decimal
from importlib.metadata import version
from typing import Any

import duckdb
import psycopg2
import requests
from sqlalchemy.engine import make_url

KPI_SQL = (
    "select kpi_name, period_start, value, sample_size from marts.fct_kpi "
    "where kpi_name = 'nps' and period_grain = 'month' and dimension_name = 'overall' "
    "order by period_start desc limit 3"
)
COUNT_SQL = "select count(*) as customers from marts.customer_360"


def norm(value: Any) -> Any:
    """One representation for the values each path returns (dates as ISO, numbers as float)."""
    if isinstance(value, (dt.datetime,)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]  # '2026-06-01' or '2026-06-01T00:00:00' / '2026-06-01 00:00:00'
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(value)
    return value


def norm_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(norm(v) for v in row) for row in rows]


class Superset:
    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()
        login = self.http.post(
            f"{self.url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=30,
        )
        login.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = self.http.get(f"{self.url}/api/v1/security/csrf_token/", timeout=30)
        csrf.raise_for_status()
        self.http.headers["X-CSRFToken"] = csrf.json()["result"]
        self.http.headers["Referer"] = self.url

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.url}{path}", timeout=120, **kwargs)

    def database_id(self, name: str, uri: str, extra: dict[str, Any]) -> int:
        """Test the connection, then create the database (or reuse the one of that name)."""
        test = self.call(
            "POST",
            "/api/v1/database/test_connection/",
            json={"database_name": name, "sqlalchemy_uri": uri, "extra": json.dumps(extra)},
        )
        print(f"  test_connection: HTTP {test.status_code} {test.text.strip()[:200]}")
        test.raise_for_status()
        listing = self.call("GET", "/api/v1/database/", params={"q": "(page_size:100)"}).json()
        for row in listing["result"]:
            if row["database_name"] == name:
                return int(row["id"])
        created = self.call(
            "POST",
            "/api/v1/database/",
            json={
                "database_name": name,
                "sqlalchemy_uri": uri,
                "expose_in_sqllab": True,
                "allow_dml": False,
                "extra": json.dumps(extra),
            },
        )
        if not created.ok:
            raise RuntimeError(f"create database {name}: {created.status_code} {created.text}")
        return int(created.json()["id"])

    def sqllab(self, database_id: int, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        response = self.call(
            "POST",
            "/api/v1/sqllab/execute/",
            json={
                "database_id": database_id,
                "sql": sql,
                "schema": "marts",
                "runAsync": False,
                "queryLimit": 1000,
                "client_id": f"c{dt.datetime.now().strftime('%H%M%S%f')}"[:11],
            },
        )
        body = response.json()
        if not response.ok:
            raise RuntimeError(f"SQL Lab HTTP {response.status_code}: {json.dumps(body)[:400]}")
        columns = [c["column_name"] for c in body["columns"]]
        return columns, [tuple(r[c] for c in columns) for r in body["data"]]

    def dataset_id(self, database_id: int, schema: str, table: str) -> tuple[int, str]:
        """A physical dataset on schema.table (reused if registered). With SQLite as Superset's
        metadata database a table name can be registered once across all databases (its
        migrations leave UNIQUE(table_name): apache/superset#33134); then a virtual dataset
        `select * from schema.table` named table_<database id> is registered instead."""
        query = f"(filters:!((col:table_name,opr:eq,value:{table})),page_size:100)"
        for row in self.call("GET", "/api/v1/dataset/", params={"q": query}).json()["result"]:
            if row["database"]["id"] == database_id and row["schema"] == schema:
                return int(row["id"]), f"physical {schema}.{table} (registered before)"
        created = self.call(
            "POST",
            "/api/v1/dataset/",
            json={"database": database_id, "schema": schema, "table_name": table},
        )
        if created.ok:
            return int(created.json()["id"]), f"physical {schema}.{table}"
        virtual = f"{table}_{database_id}"
        query = f"(filters:!((col:table_name,opr:eq,value:{virtual})),page_size:100)"
        for row in self.call("GET", "/api/v1/dataset/", params={"q": query}).json()["result"]:
            return int(row["id"]), f"virtual {virtual} (registered before)"
        created_virtual = self.call(
            "POST",
            "/api/v1/dataset/",
            json={
                "database": database_id,
                "schema": schema,
                "table_name": virtual,
                "sql": f"select * from {schema}.{table}",
            },
        )
        if not created_virtual.ok:
            raise RuntimeError(
                f"dataset {schema}.{table}: {created.status_code} {created.text}; virtual "
                f"{virtual}: {created_virtual.status_code} {created_virtual.text}"
            )
        return int(created_virtual.json()["id"]), (
            f"virtual {virtual} = select * from {schema}.{table} (physical refused: "
            f"HTTP {created.status_code} {created.json().get('message')})"
        )

    def chart_data(self, dataset_id: int) -> list[tuple[Any, ...]]:
        """The KPI query as a chart would ask it: raw columns, filters, order, row limit."""
        columns = ["kpi_name", "period_start", "value", "sample_size"]
        payload = {
            "datasource": {"id": dataset_id, "type": "table"},
            "force": True,
            "queries": [
                {
                    "columns": columns,
                    "metrics": [],
                    "filters": [
                        {"col": "kpi_name", "op": "==", "val": "nps"},
                        {"col": "period_grain", "op": "==", "val": "month"},
                        {"col": "dimension_name", "op": "==", "val": "overall"},
                    ],
                    "orderby": [["period_start", False]],
                    "row_limit": 3,
                }
            ],
            "result_format": "json",
            "result_type": "full",
        }
        response = self.call("POST", "/api/v1/chart/data", json=payload)
        if not response.ok:
            raise RuntimeError(f"chart data HTTP {response.status_code}: {response.text[:400]}")
        data = response.json()["result"][0]["data"]
        rows = []
        for record in data:
            period = record["period_start"]
            if isinstance(period, (int, float)):  # epoch milliseconds for temporal columns
                period = dt.datetime.fromtimestamp(period / 1000, dt.UTC).date()
            rows.append((record["kpi_name"], period, record["value"], record["sample_size"]))
        return rows


def direct_duckdb(path: str, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql).fetchall()


def direct_postgres(sqlalchemy_uri: str, sql: str) -> list[tuple[Any, ...]]:
    url = make_url(sqlalchemy_uri)
    con = psycopg2.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password or "",
        dbname=url.database,
    )
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        con.close()


def simulate_publish(superset: Superset, db_id: int, published: str) -> bool:
    """A new publish replaces the file (os.replace): does Superset read the new one?"""
    backup = f"{published}.superset_check_backup"
    candidate = f"{published}.superset_check_new"
    shutil.copy2(published, backup)
    shutil.copy2(published, candidate)
    with duckdb.connect(candidate) as con:
        con.execute(
            "delete from marts.customer_360 where customer_id = "
            "(select min(customer_id) from marts.customer_360)"
        )
    try:
        before = direct_duckdb(published, COUNT_SQL)
        os.replace(candidate, published)
        _, after = superset.sqllab(db_id, COUNT_SQL)
        expected = direct_duckdb(published, COUNT_SQL)
    finally:
        os.replace(backup, published)
        if os.path.exists(candidate):
            os.remove(candidate)
    seen = norm_rows(after) == norm_rows(expected) and expected != before
    print(
        f"  after a simulated publish: direct {norm_rows(before)} -> {norm_rows(expected)}, "
        f"Superset {norm_rows(after)}: {'new file seen, OK' if seen else 'STALE'} "
        "(original file put back)"
    )
    return seen


def compare(label: str, direct: list[tuple[Any, ...]], via: list[tuple[Any, ...]]) -> bool:
    same = norm_rows(direct) == norm_rows(via)
    print(f"  {label}: {'MATCH' if same else 'DIFFERENT'}")
    print(f"    direct   : {norm_rows(direct)}")
    print(f"    superset : {norm_rows(via)}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--superset-url", default="http://127.0.0.1:8088")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin-cx360")
    parser.add_argument(
        "--duckdb-file", required=True, help="the published <warehouse>/cx360.duckdb"
    )
    parser.add_argument("--pg-uri", required=True, help="SQLAlchemy URI as the BI role cx360_bi")
    parser.add_argument(
        "--simulate-publish",
        action="store_true",
        help="SCRATCH WAREHOUSE ONLY: replace the published file by a copy with one customer "
        "less (os.replace, as cx360's publish does), check Superset sees it without a "
        "reconnect, then put the original back",
    )
    args = parser.parse_args()

    superset = Superset(args.superset_url, args.user, args.password)
    print(
        f"apache-superset {version('apache-superset')}, duckdb-engine {version('duckdb-engine')}, "
        f"duckdb {version('duckdb')}, psycopg2-binary {version('psycopg2-binary')} "
        f"(this venv); Superset at {args.superset_url}"
    )
    ok = True
    results: dict[str, list[tuple[Any, ...]]] = {}

    targets = [
        (
            "cx360 DuckDB (published, read-only)",
            f"duckdb:///{args.duckdb_file}?access_mode=read_only",
            lambda sql: direct_duckdb(args.duckdb_file, sql),
        ),
        ("cx360 Postgres (BI role)", args.pg_uri, lambda sql: direct_postgres(args.pg_uri, sql)),
    ]
    for name, uri, direct in targets:
        print(f"\n[{name}] {uri}")
        db_id = superset.database_id(name, uri, extra={})
        expected = direct(KPI_SQL)
        _, kpi_rows = superset.sqllab(db_id, KPI_SQL)
        # Superset 6.x SQL Lab replaces the query's own LIMIT with its row limit + 1
        # (apache/superset#40070): warn, and compare the rows the query's LIMIT keeps
        if len(kpi_rows) != len(expected):
            print(
                f"  WARNING SQL Lab ignored the query's LIMIT {len(expected)}: returned "
                f"{len(kpi_rows)} rows (apache/superset#40070); comparing the first {len(expected)}"
            )
        ok &= compare("SQL Lab, NPS by month", expected, kpi_rows[: len(expected)])
        _, count_rows = superset.sqllab(db_id, COUNT_SQL)
        ok &= compare("SQL Lab, customer_360 rows", direct(COUNT_SQL), count_rows)
        dataset, how = superset.dataset_id(db_id, "marts", "fct_kpi")
        print(f"  dataset {dataset}: {how}")
        chart_rows = superset.chart_data(dataset)
        ok &= compare("chart data API on the dataset", expected, chart_rows)
        results[name] = norm_rows(expected)

        if uri.startswith("duckdb") and args.simulate_publish:
            ok &= simulate_publish(superset, db_id, args.duckdb_file)
        if uri.startswith("duckdb"):
            _, mode = superset.sqllab(db_id, "select current_setting('access_mode') as access_mode")
            read_only = mode == [("read_only",)]
            print(
                f"  access_mode through Superset: {mode} -> {'OK' if read_only else 'NOT read-only'}"
            )
            ok &= read_only
        else:
            try:
                superset.sqllab(db_id, "select count(*) from audit.publish_log")
                print("  audit.publish_log as the BI role: READABLE (expected permission denied)")
                ok = False
            except RuntimeError as error:
                denied = "permission denied" in str(error)
                print(f"  audit.publish_log as the BI role: {'denied, OK' if denied else error}")
                ok &= denied

    names = list(results)
    if len(names) == 2:
        same = results[names[0]] == results[names[1]]
        print(f"\nDuckDB and Postgres marts agree on the NPS query: {same}")
        ok &= same
    print(f"\n{'ALL CHECKS PASSED' if ok else 'SOME CHECK FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
