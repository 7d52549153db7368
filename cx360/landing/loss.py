"""Loss check: a table whose batches under audit lost more than a set share of their rows to
landing's quarantine blocks the refresh, with a message that names the table, the column, the
reason, three example values and the fix (e.g. "dates look like DD/MM/YYYY: set date_format").

Thresholds: `landing:` in expectations/thresholds.yml. Fields landed NULL (field-level
quarantine) do not block; they are listed as notes with the same kind of fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from cx360.contract import Table
from cx360.landing.guess import guess_date_format, number_formats
from cx360.landing.settings import SETTINGS_FILE

EXAMPLES_SHOWN = 3
EXAMPLES_READ = 50  # values read to guess a format (more than shown: one value may not tell)


@dataclass(frozen=True)
class Problem:
    column: str | None
    reason_code: str
    rows: int
    examples: tuple[str, ...]
    fix: str

    def describe(self) -> str:
        shown = ", ".join(repr(e) for e in self.examples[:EXAMPLES_SHOWN])
        where = f"{self.column} " if self.column else ""
        return (
            f"{where}{self.reason_code}: {self.rows:,} row(s), e.g. {shown}\n      fix: {self.fix}"
        )


@dataclass(frozen=True)
class TableLoss:
    table: str
    rows_read: int
    rows_quarantined: int
    limit: float
    problems: list[Problem] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    def describe(self) -> str:
        lines = [
            f"{self.table} lost {self.rows_quarantined:,} of {self.rows_read:,} rows "
            f"({self.share:.1%}) to landing's quarantine, more than the {self.limit:.1%} allowed "
            "(landing.max_row_loss_share in expectations/thresholds.yml):"
        ]
        lines += [f"  - {p.describe()}" for p in self.problems]
        return "\n".join(lines)


def suggest_fix(table: Table, column: str | None, reason: str, examples: Sequence[str]) -> str:
    """What the user changes so these values land (a source setting where one applies)."""
    where = f"for {table.name} in {SETTINGS_FILE} beside the raw files"
    kind = table.column(column).type if column and column in table.column_names else None
    if reason == "invalid_type" and kind in ("date", "timestamp"):
        guessed = guess_date_format(examples)
        setting = "date_format" if kind == "date" else "timestamp_format"
        if guessed:
            fmt, spoken = guessed
            return f'dates look like {spoken}: set {setting}: "{fmt}" {where}'
        return f"values are not ISO-8601 {kind}s: set {setting} (strptime codes) {where}"
    formats = number_formats(examples) if kind in ("decimal", "numeric") else []
    if reason == "invalid_type" and len(formats) == 1:
        return f"numbers are written like {examples[0]!r}: set {formats[0].describe()} {where}"
    if reason == "invalid_type" and formats:
        readings = " or ".join(f.describe() for f in formats)
        return f"numbers like {examples[0]!r}: set {readings}, the one your export uses, {where}"
    if reason == "invalid_type":
        return f"values are not valid {kind} values: correct them at the source"
    if reason == "missing_required":
        return (
            f"{column} is required and empty: fill it at the source, or, if your file names it "
            f"differently, map it with columns: {{<your name>: {column}}} {where}"
        )
    if reason == "unparseable_line":
        return (
            "lines do not split into the header's fields: check delimiter: and the quoting "
            f"{where} (cx360 inspect --raw-dir <folder> guesses the delimiter)"
        )
    if reason == "id_in_scientific_notation":
        return (
            f"{column} values were saved by a spreadsheet that showed them as numbers "
            "(1.23457E+11): their digits are lost and different ids became one. Export the "
            "column again as text from the source system (or format it as text before saving)"
        )
    if reason == "value_not_in_vocabulary" and column and column in table.column_names:
        allowed = " | ".join(table.column(column).values)
        return (
            f"{column} takes {allowed} (cx360/contract/raw_contract.yml): map your codes to "
            "these at the source"
        )
    return "see the reason codes in docs/architecture.md"


_PROBLEMS_SQL = f"""
    select column_name, reason_code, count(*) as n,
        list(value order by batch_name, source_row)[1:{EXAMPLES_READ}] as examples
    from (
        select *, {{value}} as value
        from {{relation}}
        where table_name = $table and batch_name in (select unnest($batches))
    )
    group by all
    order by n desc, column_name, reason_code
"""
# the value as delivered: the column's value inside the quarantined record (JSON), or the
# line as read when it could not be split into columns
_QUARANTINED_VALUE = """case
    when reason_code = 'unparseable_line' or column_name is null then raw_record
    else json_extract_string(raw_record, '$."' || column_name || '"') end"""


def _problems(
    con: duckdb.DuckDBPyConnection, table: Table, batches: Sequence[str], *, fields: bool
) -> list[Problem]:
    relation = "audit.landing_field_issues" if fields else "audit.landing_quarantine"
    value = "raw_value" if fields else _QUARANTINED_VALUE
    sql = _PROBLEMS_SQL.replace("{relation}", relation).replace("{value}", value)
    rows = con.execute(sql, {"table": table.name, "batches": list(batches)}).fetchall()
    out = []
    for column, reason, n, values in rows:
        examples = tuple(str(v) for v in values if v is not None)
        out.append(
            Problem(column, reason, int(n), examples, suggest_fix(table, column, reason, examples))
        )
    return out


def landing_loss(
    con: duckdb.DuckDBPyConnection, table: Table, batches: Sequence[str], limits: dict[str, Any]
) -> TableLoss | None:
    """The table's loss over `batches` (those under audit) when it breaks the limit."""
    if not batches:
        return None
    read, quarantined = con.execute(
        "select coalesce(sum(rows_read), 0), coalesce(sum(rows_quarantined), 0) "
        "from audit.landed_batches where table_name = $table "
        "and batch_name in (select unnest($batches))",
        {"table": table.name, "batches": list(batches)},
    ).fetchone()
    read, quarantined = int(read), int(quarantined)
    limit = float(
        limits.get("max_row_loss_share_by_table", {}).get(table.name, limits["max_row_loss_share"])
    )
    if read < int(limits["min_rows_for_share"]):  # a few rows: one bad row is not a trend
        limit = max(limit, float(limits["small_max_row_loss_share"]))
    if not read or quarantined / read <= limit:
        return None
    problems = _problems(con, table, batches, fields=False)
    return TableLoss(table.name, read, quarantined, limit, problems)


def field_notes(con: duckdb.DuckDBPyConnection, table: Table, batches: Sequence[str]) -> list[str]:
    """Fields of `batches` that landed NULL, by column and reason, with the fix."""
    if not batches:
        return []
    return [f"{table.name}.{p.describe()}" for p in _problems(con, table, batches, fields=True)]
