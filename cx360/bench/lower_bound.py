"""Run the hand-written lower bound (benchmarks/lower_bound.sql) and check it against the build.

The lower bound reads the raw parquet files directly (no landing, no dbt), so its time is what
one DuckDB process needs for the headline outputs; the benchmark reports dbt build time / this.
Its numbers must equal the published marts: core customer_360 columns exactly, monthly overall
fct_kpi rows within a relative 1e-9 (sums of doubles in another order). It does not apply
right-to-erasure requests: benchmark data has none (`cx360 bench` generates none).
"""

from __future__ import annotations

import string
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from cx360.contract import Table, load_contract
from cx360.errors import Cx360Error
from cx360.landing.casting import quote_literal
from cx360.warehouse import PROJECT_DIR, duckdb_memory_limit

SCRIPT_PATH = PROJECT_DIR / "benchmarks" / "lower_bound.sql"
VALUE_TIERS_SEED = PROJECT_DIR / "seeds" / "value_tier_thresholds.csv"
# raw tables the script reads (it creates nothing from the others)
TABLES_READ = (
    "crm_customers",
    "crm_contracts",
    "billing_invoices",
    "billing_orders",
    "fx_rates",
    "survey_definitions",
    "survey_responses",
    "support_tickets",
    "interactions",
)
DBT_VARS = (
    "reporting_currency",
    "nps_promoter_min_score",
    "nps_passive_min_score",
    "csat_top_box_points",
)
# churn_rate is computed (lb_kpi) but not compared: customers without contracts are active by
# the fitted purchase model's P(alive) (cx360/purchase_model.py), which a SQL script cannot redo
KPIS_COMPARED = ("nps", "csat", "ces", "mttr_hours", "clv_historical")
CUSTOMER_COLUMNS = (
    "segment",
    "country",
    "postal_code",
    "acquisition_channel",
    "created_at",
    "acquired_at",
    "first_purchase_at",
    "value_tier",
    "revenue_lifetime",
    "revenue_12m",
    "purchases_lifetime",
    "average_basket",
    "clv_historical",
)
RELATIVE_TOLERANCE = 1e-9
EXAMPLES_SHOWN = 5


@dataclass
class Comparison:
    customers_compared: int = 0
    kpi_rows_compared: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class LowerBoundResult:
    seconds: float
    customers: int
    kpi_rows: int
    comparison: Comparison | None


def _dbt_vars() -> dict[str, str]:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    declared = project.get("vars", {})
    missing = [name for name in DBT_VARS if name not in declared]
    if missing:
        raise Cx360Error(f"dbt_project.yml lacks the vars {missing} the lower bound uses")
    return {name: str(declared[name]) for name in DBT_VARS}


def _batch_files(raw_dir: Path, table: str) -> list[Path]:
    single = raw_dir / f"{table}.parquet"
    files = [single] if single.is_file() else []
    if (raw_dir / table).is_dir():
        files += sorted((raw_dir / table).rglob("*.parquet"))
    return files


def _raw_view_sql(raw_dir: Path, table: Table) -> str:
    """raw_<table> over the table's parquet batch files, typed and filtered as landing does."""
    files = _batch_files(raw_dir, table.name)
    if not files:
        if any((raw_dir / f"{table.name}{s}").exists() for s in (".csv", ".csv.gz")):
            raise Cx360Error(
                f"the lower bound reads parquet only; {table.name} is CSV",
                hint="benchmark a folder generated with --format parquet",
            )
        raise Cx360Error(f"no parquet batch of {table.name} in {raw_dir}")
    prefix_length = len(str(raw_dir.resolve())) + 2  # 1-based substr after "<raw_dir>/"
    columns = ",\n    ".join(
        f"cast({c.name} as {c.duckdb_type}) as {c.name}" for c in table.columns
    )
    present = [
        f"nullif(trim({c.name}), '') is not null" if c.type == "string" else f"{c.name} is not null"
        for c in table.columns
        if c.required
    ]
    file_list = ", ".join(quote_literal(str(f.resolve())) for f in files)
    return (
        f"create or replace temp view raw_{table.name} as\nselect\n    {columns},\n"
        f"    substr(filename, {prefix_length}) as _batch_name,\n"
        f"    file_row_number + 1 as _source_row\n"
        f"from read_parquet([{file_list}], filename = true, file_row_number = true,"
        f" union_by_name = true)\nwhere {' and '.join(present) or 'true'}"
    )


def script_text() -> str:
    template = string.Template(SCRIPT_PATH.read_text(encoding="utf-8"))
    return template.substitute(value_tiers_csv=str(VALUE_TIERS_SEED), **_dbt_vars())


def _statements(script: str) -> list[str]:
    """The script's statements (split on ';' at line ends: the script holds no such string)."""
    return [s.strip() for s in script.split(";\n") if s.strip() and not _only_comments(s)]


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.split("\n"))


def build_lower_bound(
    con: duckdb.DuckDBPyConnection, raw_dir: Path, contract: dict[str, Table] | None = None
) -> None:
    """Create the raw views and run the script: lb_customer_360 and lb_kpi exist afterwards."""
    contract = contract or load_contract()
    for name in TABLES_READ:
        con.execute(_raw_view_sql(raw_dir, contract[name]))
    for statement in _statements(script_text()):
        con.execute(statement)


def run_lower_bound(
    raw_dir: Path,
    *,
    memory_limit: str | None = None,
    temp_dir: Path | None = None,
    published_db: Path | None = None,
) -> LowerBoundResult:
    """Time the lower bound on `raw_dir`; compare with `published_db` when given."""
    # the same DuckDB memory limit dbt builds with
    memory_limit = memory_limit or duckdb_memory_limit()
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = {quote_literal(memory_limit)}")
        con.execute("set preserve_insertion_order = false")
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            con.execute(f"set temp_directory = {quote_literal(str(temp_dir))}")
        started = time.perf_counter()
        build_lower_bound(con, Path(raw_dir))
        seconds = time.perf_counter() - started
        customers = _count(con, "lb_customer_360")
        kpi_rows = _count(con, "lb_kpi")
        comparison = None
        if published_db is not None:
            con.execute(f"attach {quote_literal(str(published_db))} as published (read_only)")
            comparison = compare(con, "published")
        return LowerBoundResult(seconds, customers, kpi_rows, comparison)
    finally:
        con.close()


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"select count(*) from {table}").fetchone()
    return int(row[0]) if row else 0


def compare(con: duckdb.DuckDBPyConnection, catalog: str) -> Comparison:
    """Differences between lb_customer_360 / lb_kpi and <catalog>.marts.customer_360 / fct_kpi."""
    result = Comparison()
    result.customers_compared = _count(con, "lb_customer_360")
    result.differences += _customer_differences(con, catalog)
    result.kpi_rows_compared = _count(con, "lb_kpi")
    result.differences += _kpi_differences(con, catalog)
    return result


def _customer_differences(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    checks = ",\n".join(
        f"count(*) filter (where lb.{c} is distinct from mart.{c}) as {c}" for c in CUSTOMER_COLUMNS
    )
    joined = (
        f"from lb_customer_360 as lb full outer join {catalog}.marts.customer_360 as mart "
        "on lb.customer_id = mart.customer_id"
    )
    missing = con.execute(
        f"select count(*) filter (where mart.customer_id is null), "
        f"count(*) filter (where lb.customer_id is null) {joined}"
    ).fetchone()
    differences = []
    if missing and missing[0]:
        differences.append(f"customer_360 lacks {missing[0]} customer(s) of the lower bound")
    if missing and missing[1]:
        differences.append(f"the lower bound lacks {missing[1]} customer(s) of customer_360")
    inner = joined.replace("full outer join", "inner join")
    row = con.execute(f"select {checks} {inner}").fetchone() or ()
    for column, count in zip(CUSTOMER_COLUMNS, row, strict=True):
        if count:
            examples = con.execute(
                f"select lb.customer_id, lb.{column}, mart.{column} {inner} "
                f"where lb.{column} is distinct from mart.{column} "
                f"order by lb.customer_id limit {EXAMPLES_SHOWN}"
            ).fetchall()
            shown = "; ".join(f"{cid}: lower bound {a!r}, mart {b!r}" for cid, a, b in examples)
            differences.append(f"customer_360.{column}: {count} customer(s) differ, e.g. {shown}")
    return differences


def _kpi_differences(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    names = ", ".join(quote_literal(k) for k in KPIS_COMPARED)

    def close(column: str) -> str:
        a, b = f"lb.{column}", f"mart.{column}"
        return (
            f"(({a} is null and {b} is null) or abs({a} - {b}) <= "
            f"{RELATIVE_TOLERANCE} * greatest(1, abs({a}), abs({b})))"
        )

    rows = con.execute(
        f"""
        with mart as (
            select kpi_name, period_start, numerator, denominator, value, sample_size
            from {catalog}.marts.fct_kpi
            where period_grain = 'month' and dimension_name = 'overall' and kpi_name in ({names})
        )
        select
            coalesce(lb.kpi_name, mart.kpi_name) as kpi_name,
            coalesce(lb.period_start, mart.period_start) as period_start,
            lb.numerator, mart.numerator, lb.denominator, mart.denominator,
            lb.value, mart.value, lb.sample_size, mart.sample_size
        from lb_kpi as lb
        full outer join mart
            on lb.kpi_name = mart.kpi_name and lb.period_start = mart.period_start
        where not (
            {close("numerator")} and {close("denominator")} and {close("value")}
            and lb.sample_size is not distinct from mart.sample_size
            and lb.kpi_name is not null and mart.kpi_name is not null
        )
        order by 1, 2
        """
    ).fetchall()
    differences = []
    for kpi in KPIS_COMPARED:
        bad = [r for r in rows if r[0] == kpi]
        if bad:
            shown = "; ".join(
                f"{r[1]}: lower bound n={r[2]} d={r[4]} v={r[6]} s={r[8]}, "
                f"mart n={r[3]} d={r[5]} v={r[7]} s={r[9]}"
                for r in bad[:EXAMPLES_SHOWN]
            )
            differences.append(f"fct_kpi {kpi}: {len(bad)} month(s) differ, e.g. {shown}")
    return differences
