"""SQL expressions (DuckDB) that turn raw values into contract types and name what is wrong.

Rules, per contract type, for text input (CSV, or a VARCHAR parquet column):
- surrounding spaces are trimmed for every type but `string`; empty or blank = null
- int: optional sign and digits only (`1.5`, `1e3`, `1_000` are invalid, never rounded)
- decimal / numeric: plain or scientific decimal notation (no `nan`, `inf`, hex, `_`)
- bool: true/false/1/0/yes/no, any case
- date: ISO-8601 `YYYY-MM-DD`
- timestamp: ISO-8601 with or without time zone offset (`Z`, `+02:00`, `+0200`); an offset is
  applied so the stored value is UTC (the landing connection runs with TimeZone=UTC)
Typed parquet columns are cast directly (a TIMESTAMPTZ column becomes its UTC timestamp).

A required column is missing when null (or blank text). A present value whose conversion gives
null is invalid. The first problem in contract column order names the row's reason code and
column; `reason_detail` lists every problem of the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from cx360.contract import Column, Table

MISSING_REQUIRED = "missing_required"
INVALID_TYPE = "invalid_type"
UNPARSEABLE_LINE = "unparseable_line"

_NUMBER_PATTERN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_INT_PATTERN = r"[+-]?[0-9]+"
_NO_ZONE_PATTERN = r"[0-9 :T.]*"  # what may follow YYYY-MM-DD when no zone/offset is given
_TRUE_WORDS = ("true", "1", "yes")
_FALSE_WORDS = ("false", "0", "no")
TEXT_TYPES = ("VARCHAR",)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _text_conversion(column: Column, value: str) -> str:
    """Expression converting trimmed, non-empty text `value` to the column's contract type."""
    kind = column.type
    if kind == "int":
        return (
            f"case when regexp_full_match({value}, '{_INT_PATTERN}') "
            f"then try_cast({value} as bigint) end"
        )
    if kind in ("decimal", "numeric"):
        target = column.duckdb_type
        return (
            f"case when regexp_full_match({value}, '{_NUMBER_PATTERN}') "
            f"then try_cast({value} as {target}) end"
        )
    if kind == "bool":
        trues = ", ".join(quote_literal(w) for w in _TRUE_WORDS)
        falses = ", ".join(quote_literal(w) for w in _FALSE_WORDS)
        return (
            f"case when lower({value}) in ({trues}) then true "
            f"when lower({value}) in ({falses}) then false end"
        )
    if kind == "date":
        return f"try_cast({value} as date)"
    if kind == "timestamp":
        # Only text with a zone after the date part needs the (3-4x slower) TIMESTAMPTZ parse;
        # a plain cast to TIMESTAMP would silently drop the offset.
        return (
            f"case when regexp_full_match(substr({value}, 11), '{_NO_ZONE_PATTERN}') "
            f"then try_cast({value} as timestamp) "
            f"else try_cast(try_cast({value} as timestamptz) as timestamp) end"
        )
    raise ValueError(f"no text conversion for contract type {kind}")


@dataclass(frozen=True)
class ColumnSql:
    """How one contract column is read from the source relation `s`."""

    column: Column
    typed: str  # expression giving the contract-typed value
    raw: str  # the source value as delivered (text, or a typed parquet value)
    raw_is_text: bool

    @property
    def checked(self) -> bool:
        """Whether a row can fail on this column (missing or not convertible)."""
        return self.column.required or self.column.type != "string"


def column_sql(column: Column, source_type: str | None) -> ColumnSql:
    """Expressions for `column`, read from `s."<name>"` of DuckDB type `source_type`; None when
    the file does not carry this (optional) column: it lands as NULL."""
    if source_type is None:
        absent = f"cast(null as {column.duckdb_type})"
        return ColumnSql(column, absent, "cast(null as varchar)", True)
    ref = f"s.{quote_ident(column.name)}"
    is_text = source_type.upper() in TEXT_TYPES
    if column.type == "string":
        typed = ref if is_text else f"cast({ref} as varchar)"  # staging trims and normalises
    elif is_text:
        typed = _text_conversion(column, f"nullif(trim({ref}), '')")
    elif source_type.upper() == column.duckdb_type.upper():
        typed = ref
    elif source_type.upper().startswith("TIMESTAMP") and column.type == "timestamp":
        typed = f"cast({ref} as timestamp)"  # TIMESTAMPTZ -> UTC wall clock (TimeZone=UTC)
    else:
        typed = f"try_cast({ref} as {column.duckdb_type})"
    return ColumnSql(column, typed, ref, is_text)


@dataclass(frozen=True)
class ProblemSql:
    """Expressions over a relation `p` holding the typed values (`p."<col>"`) and raw text
    (`p."_raw_<col>"`): `bad` flags a row with any problem; the reasons are gated on `_bad`
    (select `bad` as `_bad` first) so clean rows skip building them."""

    bad: str
    reason_code: str
    reason_column: str
    reason_detail: str


def problem_sql(columns: list[ColumnSql]) -> ProblemSql:
    conditions: list[tuple[str, str, str, str]] = []  # (condition, code, column, detail)
    for col in columns:
        name = col.column.name
        typed = f"p.{quote_ident(name)}"
        raw = f"p.{quote_ident('_raw_' + name)}"
        # blank text counts as absent; a typed parquet value is absent only when null
        present = (
            f"nullif(trim({raw}), '') is not null" if col.raw_is_text else f"{raw} is not null"
        )
        raw_text = raw if col.raw_is_text else f"cast({raw} as varchar)"
        if col.column.required:
            detail = quote_literal(name + " is empty")
            conditions.append((f"not ({present})", MISSING_REQUIRED, name, detail))
        if col.column.type != "string":
            detail = (
                f"{quote_literal(name + '=')} || {raw_text} || "
                f"{quote_literal(' is not a valid ' + col.column.type)}"
            )
            conditions.append((f"({present} and {typed} is null)", INVALID_TYPE, name, detail))
    if not conditions:
        null = "cast(null as varchar)"
        return ProblemSql("false", null, null, null)
    codes = " ".join(f"when {cond} then '{code}'" for cond, code, _, _ in conditions)
    names = " ".join(f"when {cond} then {quote_literal(name)}" for cond, _, name, _ in conditions)
    details = ", ".join(f"case when {cond} then {detail} end" for cond, _, _, detail in conditions)
    return ProblemSql(
        bad="(" + " or ".join(cond for cond, _, _, _ in conditions) + ")",
        reason_code=f"case when p._bad then case {codes} end end",
        reason_column=f"case when p._bad then case {names} end end",
        reason_detail=f"case when p._bad then concat_ws('; ', {details}) end",
    )


def table_columns_sql(table: Table, source_types: dict[str, str]) -> list[ColumnSql]:
    # discovery lets a file leave out optional columns (never required ones)
    return [column_sql(col, source_types.get(col.name)) for col in table.columns]
