"""The headline KPI summary (`cx360 kpi`, and the end of `cx360 run`).

Reads the PUBLISHED warehouse (<warehouse>/cx360.duckdb, read-only): marts.fct_kpi for the
values, marts.dim_kpi (the KPI registry) for each KPI's label, unit and direction, and
marts.kpi_reporting_window for which month is the last full one. Shows each headline KPI over
all the data, in the last full month, and the change against the month before, coloured by
whether the change is good news for that KPI. A month whose fct_kpi row is not
period_complete is marked partial and never compared as a full month.

    kpi_summary_rows(con)   -> list[KpiSummaryRow]   the data (for tests, the pipeline, BI exports)
    kpi_summary_table(con)  -> rich Table            the same, rendered
    stitching_table(con)    -> rich Table | None     identity stitching match rates per source
    print_kpi_summary(wh)   -> int                   opens the published db, prints, exit status
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from cx360.errors import Cx360Error
from cx360.warehouse import Warehouse


@dataclass(frozen=True)
class HeadlineKpi:
    """A KPI the summary shows, as the KPI registry (marts.dim_kpi) describes it."""

    name: str  # kpi_name in fct_kpi and dim_kpi
    label: str
    unit: str
    direction: str  # higher_is_better | lower_is_better | neutral

    @property
    def decimals(self) -> int:
        return DECIMALS_BY_UNIT.get(self.unit, 1)


# Which KPIs the summary shows, in display order. Labels, units and directions are the
# registry's (seeds/kpi_registry.csv, published as marts.dim_kpi), never repeated here.
HEADLINE_KPI_NAMES: tuple[str, ...] = (
    "nps",
    "csat",
    "ces",
    "churn_rate",
    "retention_rate",
    "mttr_hours",
    "first_contact_resolution_rate",
    "complaint_rate",
    "referral_rate",
    "cac",
    "clv_historical",
    "revenue_per_customer",
    "revenue_share_top20",
    "active_customers",
    "new_customers",
    "review_rating",
    "employee_engagement",
)

DECIMALS_BY_UNIT = {"count": 0, "currency": 2, "score": 2, "percent": 2, "hours": 1, "points": 1}
UNIT_SUFFIX = {"percent": " %", "hours": " h"}

# Attribution rules of audit.stitching_match_rates, in precedence order (the matched ones
# first, then why the rest found no customer): see int_touchpoints_stitched.
STITCHING_RULES: tuple[str, ...] = (
    "customer_id",
    "email",
    "phone",
    "ambiguous",
    "unmatched",
    "unknown_customer",
)


@dataclass(frozen=True)
class KpiSummaryRow:
    kpi: HeadlineKpi
    unit: str | None
    overall: float | None  # grain all; None where the KPI has no such grain (churn, retention)
    last_month: float | None
    previous_month: float | None
    # fct_kpi.period_complete of each month: a partial month (the as-of day inside it, or the
    # KPI's data starting inside it) is shown as such and never compared as a full month
    last_month_complete: bool | None = True
    previous_month_complete: bool | None = True

    @property
    def change(self) -> float | None:
        if self.last_month is None or self.previous_month is None:
            return None
        if not (self.last_month_complete and self.previous_month_complete):
            return None
        return self.last_month - self.previous_month

    @property
    def is_improvement(self) -> bool | None:
        """True when the change is good news for this KPI, None when unchanged, unknown or the
        KPI has no good direction (neutral)."""
        if not self.change or self.kpi.direction not in ("higher_is_better", "lower_is_better"):
            return None
        return (self.change > 0) == (self.kpi.direction == "higher_is_better")


@dataclass(frozen=True)
class KpiSummary:
    as_of_date: dt.date | None
    last_month_start: dt.date | None
    previous_month_start: dt.date | None
    rows: list[KpiSummaryRow]


def _reporting_window(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
    found = con.execute(
        "select as_of_date, last_full_month_start, previous_month_start "
        "from marts.kpi_reporting_window"
    ).fetchone()
    return (found[0], found[1], found[2]) if found else (None, None, None)


def load_headline_kpis(con: duckdb.DuckDBPyConnection) -> list[HeadlineKpi]:
    """The headline KPIs with their label, unit and direction from marts.dim_kpi."""
    records = con.execute(
        "select kpi_name, label, unit, direction from marts.dim_kpi "
        "where kpi_name in (select unnest(?::varchar[]))",
        [list(HEADLINE_KPI_NAMES)],
    ).fetchall()
    registry = {
        name: HeadlineKpi(name, label, unit, direction) for name, label, unit, direction in records
    }
    return [registry[name] for name in HEADLINE_KPI_NAMES if name in registry]


def load_kpi_summary(con: duckdb.DuckDBPyConnection) -> KpiSummary:
    """The headline KPIs (overall dimension) from marts.fct_kpi of an open connection."""
    as_of, last_month, previous_month = _reporting_window(con)
    kpis = load_headline_kpis(con)
    records = con.execute(
        """
        select kpi_name, period_grain, period_start, value, unit, period_complete
        from marts.fct_kpi
        where dimension_name = 'overall'
          and kpi_name in (select unnest(?::varchar[]))
          and (period_grain = 'all' or (period_grain = 'month' and period_start in (?, ?)))
        """,
        [[kpi.name for kpi in kpis], last_month, previous_month],
    ).fetchall()
    values: dict[tuple[str, str, dt.date | None], float | None] = {}
    complete: dict[tuple[str, str, dt.date | None], bool | None] = {}
    units: dict[str, str] = {}
    for kpi_name, grain, period_start, value, unit, period_complete in records:
        values[(kpi_name, grain, period_start)] = value
        complete[(kpi_name, grain, period_start)] = period_complete
        units[kpi_name] = unit
    rows = [
        KpiSummaryRow(
            kpi=kpi,
            unit=units.get(kpi.name, kpi.unit),
            overall=values.get((kpi.name, "all", None)),
            last_month=values.get((kpi.name, "month", last_month)),
            previous_month=values.get((kpi.name, "month", previous_month)),
            last_month_complete=complete.get((kpi.name, "month", last_month)),
            previous_month_complete=complete.get((kpi.name, "month", previous_month)),
        )
        for kpi in kpis
    ]
    return KpiSummary(as_of, last_month, previous_month, rows)


def kpi_summary_rows(con: duckdb.DuckDBPyConnection) -> list[KpiSummaryRow]:
    """The data behind the table: one row per headline KPI."""
    return load_kpi_summary(con).rows


def _format(value: float | None, row: KpiSummaryRow, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = "+" if signed else ""
    # a change of a percentage is in percentage points
    suffix = " pp" if signed and row.unit == "percent" else UNIT_SUFFIX.get(row.unit or "", "")
    return f"{value:{sign},.{row.kpi.decimals}f}{suffix}"


def _month_label(month_start: dt.date | None) -> str:
    return month_start.strftime("%b %Y") if month_start else "last month"


def kpi_summary_table(con: duckdb.DuckDBPyConnection) -> Table:
    """A rich table of the headline KPIs: all data, last full month, change vs the month before."""
    summary = load_kpi_summary(con)
    as_of = f" (as of {summary.as_of_date})" if summary.as_of_date else ""
    table = Table(title=f"cx360 headline KPIs{as_of}", title_justify="left")
    table.add_column("KPI")
    table.add_column("all data", justify="right")
    table.add_column(_month_label(summary.last_month_start), justify="right")
    table.add_column(f"vs {_month_label(summary.previous_month_start)}", justify="right")
    for row in summary.rows:
        style = {True: "green", False: "red", None: "dim"}[row.is_improvement]
        partial = " (partial)" if row.last_month is not None and not row.last_month_complete else ""
        table.add_row(
            row.kpi.label,
            _format(row.overall, row),
            _format(row.last_month, row) + partial,
            f"[{style}]{_format(row.change, row, signed=True)}[/{style}]",
        )
    table.caption = (
        "green = better, red = worse for that KPI; — = no data (churn and retention are "
        "monthly) or no full month to compare; (partial) = the KPI's data starts inside the month"
    )
    return table


def stitching_table(con: duckdb.DuckDBPyConnection) -> Table | None:
    """How survey answers, tickets and interactions found their customer: one column per
    source, one row per attribution rule with its share of the source's rows
    (audit.stitching_match_rates). None when the published warehouse predates that model."""
    try:
        records = con.execute(
            "select source, attribution_rule, rows, share from audit.stitching_match_rates"
        ).fetchall()
    except duckdb.CatalogException:
        return None
    by_source: dict[str, dict[str, tuple[int, float]]] = {}
    for source, rule, rows, share in records:
        by_source.setdefault(source, {})[rule] = (rows, share)
    sources = sorted(by_source)
    # a rule the model does not know yet still shows, after the known ones
    extra_rules = sorted({r for rules in by_source.values() for r in rules} - set(STITCHING_RULES))
    # rules as rows, sources as columns: three sources fit an 80-column terminal
    table = Table(title="Identity stitching (share of each source's rows)", title_justify="left")
    table.add_column("attributed by")
    for source in sources:
        table.add_column(source, justify="right")
    totals = [sum(rows for rows, _ in by_source[s].values()) for s in sources]
    table.add_row("rows", *(f"{total:,}" for total in totals), end_section=True)
    for rule in [*STITCHING_RULES, *extra_rules]:
        shares = [by_source[s].get(rule) for s in sources]
        table.add_row(rule, *(f"{100 * x[1]:.1f} %" if x else "—" for x in shares))
    table.caption = "ambiguous = one address, several customers; unknown_customer = quarantined"
    return table


def open_published(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the published warehouse, or a Cx360Error saying what to do."""
    path: Path = warehouse.published_db
    if not path.exists():
        raise Cx360Error(
            f"no published warehouse at {path}",
            hint="run `cx360 run --raw-dir <folder>` first (or pass --warehouse-dir)",
        )
    return duckdb.connect(str(path), read_only=True)


def print_kpi_summary(warehouse: Warehouse, console: Console | None = None) -> int:
    """Print the headline KPI table of the published warehouse. Returns the exit status."""
    console = console or Console()
    con = open_published(warehouse)
    try:
        table = kpi_summary_table(con)
        stitching = stitching_table(con)
    except (duckdb.CatalogException, duckdb.BinderException) as err:
        raise Cx360Error(
            f"the published warehouse {warehouse.published_db} has no KPI tables ({err})",
            hint="rebuild and publish with `cx360 run`",
        ) from err
    finally:
        con.close()
    console.print(table)
    if stitching is not None:
        console.print(stitching)
    return 0
