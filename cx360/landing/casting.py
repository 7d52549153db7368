"""SQL expressions (DuckDB) that turn raw values into contract types and name what is wrong.

Rules, per contract type, for text input (CSV, or a VARCHAR parquet column):
- surrounding spaces are trimmed for every type but `string`; empty or blank = null
- int: optional sign and digits only (`1.5`, `1e3`, `1_000` are invalid, never rounded)
- decimal / numeric: plain or scientific decimal notation (no `nan`, `inf`, hex, `_`)
- bool: true/false, 1/0, yes/no, y/n, t/f (PostgreSQL's COPY writes t/f), any case
- date: ISO-8601 `YYYY-MM-DD`
- timestamp: ISO-8601 with or without time zone offset (`Z`, `+02:00`, `+0200`); an offset is
  applied so the stored value is UTC (the landing connection runs with TimeZone=UTC)
Typed parquet columns are cast directly (a TIMESTAMPTZ column becomes its UTC timestamp).

The source settings (cx360/landing/settings.py) change the text rules per table: a
`date_format` / `timestamp_format` (strptime codes) replaces ISO-8601, a `decimal_separator` of
',' is read as '.', a `thousands_separator` is removed from numbers grouped by it exactly (1,234.56
but not 1,2345 or 12,34), and a `time_zone` is applied to timestamps that carry no offset.

A required column is missing when null (or blank text). A present value whose conversion gives
null is invalid. Problems are judged at two levels:
- row: a missing or invalid key or required value; the row is quarantined. The first problem
  in contract column order names the row's reason code and column; `reason_detail` lists every
  row-level problem of the row.
- field: an invalid value in an optional column; the row lands with that field NULL and the
  problem is recorded in audit.landing_field_issues (a customer is never lost for a birth date).
A typed value outside its contract range (`range:` in the contract: rating 1-5, severity
1-4, durations >= 0) is `value_out_of_range`, at the same two levels; a text value that,
trimmed and lower-cased as staging reads it, is not in the column's contract vocabulary
(`values:`) is `value_not_in_vocabulary`, at the same two levels. An identifier (an `_id`
column, a customer or phone identity) written as a spreadsheet writes long numbers, 1.23457E+11,
is `id_in_scientific_notation`, at the same two levels: its digits are lost, and distinct ids
would merge into one.
"""

from __future__ import annotations

from dataclasses import dataclass

from cx360.contract import Column, Table
from cx360.landing.settings import DEFAULT_SETTINGS, SourceSettings

MISSING_REQUIRED = "missing_required"
INVALID_TYPE = "invalid_type"
VALUE_OUT_OF_RANGE = "value_out_of_range"
NOT_IN_VOCABULARY = "value_not_in_vocabulary"
ID_IN_SCIENTIFIC_NOTATION = "id_in_scientific_notation"
UNPARSEABLE_LINE = "unparseable_line"

# date_format / timestamp_format for a spreadsheet's own date numbers: days since 1899-12-30
# (45477 = 2024-07-04; the fraction is the time of day), what Excel writes for a date column
# formatted as a number
EXCEL_SERIAL = "excel_serial"
# 3653 = 1910-01-01 to 73051 = 2100-01-01: smaller or larger numbers are not taken for dates
EXCEL_SERIAL_RANGE = (3653, 73051)
# RE2 (DuckDB) and Python `re` read these alike
EXCEL_SERIAL_PATTERN = r"[0-9]{4,5}(\.[0-9]+)?"
NUMBER_PATTERN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_INT_PATTERN = r"[+-]?[0-9]+"
# What a spreadsheet writes for a long number it shows in scientific notation: 1.23457E+11.
# The digits past the sixth are gone, and ids that differed become one.
_SCIENTIFIC_NUMBER_PATTERN = r"[0-9](\.[0-9]+)?[eE]\+[0-9]+"
_NO_ZONE_PATTERN = r"[0-9 :T.]*"  # what may follow YYYY-MM-DD when no zone/offset is given
_TRUE_WORDS = ("true", "1", "yes", "y", "t")
_FALSE_WORDS = ("false", "0", "no", "n", "f")
TEXT_TYPES = ("VARCHAR",)


def grouped_number_pattern(decimal_separator: str, thousands_separator: str) -> str:
    """A number with its digits grouped in threes: 1,234 / -12,345,678.9 (never 01,234)."""
    return (
        f"[+-]?[1-9][0-9]{{0,2}}([{thousands_separator}][0-9]{{3}})+([{decimal_separator}][0-9]+)?"
    )


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _text_conversion(
    column: Column, value: str, settings: SourceSettings = DEFAULT_SETTINGS
) -> str:
    """Expression converting trimmed, non-empty text `value` to the column's contract type."""
    kind = column.type
    if kind in ("decimal", "numeric") and settings.thousands_separator:
        grouped = grouped_number_pattern(settings.decimal_separator, settings.thousands_separator)
        separator = quote_literal(settings.thousands_separator)
        value = (
            f"case when regexp_full_match({value}, {quote_literal(grouped)}) "
            f"then replace({value}, {separator}, '') else {value} end"
        )
    if kind in ("decimal", "numeric") and settings.decimal_separator == ",":
        value = f"replace({value}, ',', '.')"
    if kind == "date" and settings.date_format:
        return f"cast({_formatted(value, settings.date_format)} as date)"
    if kind == "timestamp" and (settings.timestamp_format or settings.time_zone != "UTC"):
        return _zoned_timestamp(value, settings)
    if kind == "int":
        return (
            f"case when regexp_full_match({value}, '{_INT_PATTERN}') "
            f"then try_cast({value} as bigint) end"
        )
    if kind in ("decimal", "numeric"):
        target = column.duckdb_type
        return (
            f"case when regexp_full_match({value}, '{NUMBER_PATTERN}') "
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


def _formatted(value: str, fmt: str) -> str:
    """Text read with a declared date or timestamp format, as a timestamp (NULL if it does not
    fit): strptime codes, or EXCEL_SERIAL (rounded to the millisecond, Excel's resolution)."""
    if fmt != EXCEL_SERIAL:
        return f"try_strptime({value}, {quote_literal(fmt)})"
    low, high = EXCEL_SERIAL_RANGE
    days = f"try_cast({value} as double)"
    return (
        f"case when regexp_full_match({value}, '{EXCEL_SERIAL_PATTERN}') "
        f"and {days} between {low} and {high} then timestamp '1899-12-30' "
        f"+ to_microseconds(cast(round({days} * 86400000) as bigint) * 1000) end"
    )


def _zoned_timestamp(value: str, settings: SourceSettings) -> str:
    """A timestamp read with the settings' format and/or time zone, as UTC wall clock."""
    fmt = settings.timestamp_format
    if fmt and "%z" in fmt.lower():  # the value carries its offset: strptime gives UTC
        return f"cast({_formatted(value, fmt)} as timestamp)"
    local = _formatted(value, fmt) if fmt else _text_conversion(Column("_", "timestamp"), value)
    if settings.time_zone == "UTC":
        return local
    # timezone(zone, local wall clock) is the instant; cast under TimeZone=UTC gives UTC
    if fmt:
        return f"cast(timezone({quote_literal(settings.time_zone)}, {local}) as timestamp)"
    # ISO text with an offset is already UTC; only values without one are local
    return (
        f"case when regexp_full_match(substr({value}, 11), '{_NO_ZONE_PATTERN}') "
        f"then cast(timezone({quote_literal(settings.time_zone)}, {local}) as timestamp) "
        f"else {local} end"
    )


@dataclass(frozen=True)
class ColumnSql:
    """How one contract column is read from the source relation `s`."""

    column: Column
    typed: str  # expression giving the contract-typed value
    raw: str  # the source value as delivered (text, or a typed parquet value)
    raw_is_text: bool

    row_level: bool  # a problem here quarantines the row (key or required column)
    value_range: tuple[float | None, float | None] | None = None  # inclusive; None: open
    vocabulary: tuple[str, ...] = ()  # the contract's values; (): free text

    @property
    def checked(self) -> bool:
        """Whether a row or field can fail on this column (missing, not convertible, not in
        its vocabulary)."""
        return (
            self.column.required
            or self.column.type != "string"
            or bool(self.vocabulary)
            or self.column.holds_an_identifier
        )


def column_sql(
    column: Column,
    source_type: str | None,
    settings: SourceSettings = DEFAULT_SETTINGS,
    *,
    row_level: bool | None = None,
    value_range: tuple[float | None, float | None] | None = None,
) -> ColumnSql:
    """Expressions for `column`, read from `s."<name>"` of DuckDB type `source_type`; None when
    the file does not carry this (optional) column: it lands as NULL. `row_level` defaults to
    the column being required."""
    if source_type is None:
        absent = f"cast(null as {column.duckdb_type})"
        return ColumnSql(column, absent, "cast(null as varchar)", True, row_level=False)
    ref = f"s.{quote_ident(column.name)}"
    is_text = source_type.upper() in TEXT_TYPES
    if column.type == "string":
        typed = ref if is_text else f"cast({ref} as varchar)"  # staging trims and normalises
    elif is_text:
        typed = _text_conversion(column, f"nullif(trim({ref}), '')", settings)
    elif source_type.upper() == column.duckdb_type.upper():
        typed = ref
    elif source_type.upper().startswith("TIMESTAMP") and column.type == "timestamp":
        typed = f"cast({ref} as timestamp)"  # TIMESTAMPTZ -> UTC wall clock (TimeZone=UTC)
    else:
        typed = f"try_cast({ref} as {column.duckdb_type})"
    level = column.required if row_level is None else row_level
    return ColumnSql(column, typed, ref, is_text, level, value_range, column.values)


@dataclass(frozen=True)
class FieldIssueSql:
    """One optional column's field-level problem over `p` (see ProblemSql)."""

    column: str
    condition: str
    reason_code: str
    raw_text: str  # the value as delivered, as text
    detail: str
    nulls_typed: bool  # the typed value is not null yet: landing must write NULL instead


@dataclass(frozen=True)
class ProblemSql:
    """Expressions over a relation `p` holding the typed values (`p."<col>"`) and raw text
    (`p."_raw_<col>"`): `bad` flags a row with a row-level problem; the reasons are gated on
    `_bad` (select `bad` as `_bad` first) so clean rows skip building them. `field_bad` flags a
    row with a field-level problem, each described in `fields`."""

    bad: str
    reason_code: str
    reason_column: str
    reason_detail: str
    field_bad: str
    fields: tuple[FieldIssueSql, ...]


def problem_sql(columns: list[ColumnSql]) -> ProblemSql:
    conditions: list[tuple[str, str, str, str]] = []  # (condition, code, column, detail)
    fields: list[FieldIssueSql] = []
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
            condition = f"({present} and {typed} is null)"
            if col.row_level:
                conditions.append((condition, INVALID_TYPE, name, detail))
            else:
                fields.append(FieldIssueSql(name, condition, INVALID_TYPE, raw_text, detail, False))
        if col.value_range:
            low, high = col.value_range
            bounds = [f"{typed} < {low}" for _ in [0] if low is not None]
            bounds += [f"{typed} > {high}" for _ in [0] if high is not None]
            condition = f"({typed} is not null and ({' or '.join(bounds)}))"
            shown = f"[{'' if low is None else low}, {'' if high is None else high}]"
            detail = (
                f"{quote_literal(name + '=')} || {raw_text} || "
                f"{quote_literal(' is outside its contract range ' + shown)}"
            )
            if col.row_level:
                conditions.append((condition, VALUE_OUT_OF_RANGE, name, detail))
            else:
                fields.append(
                    FieldIssueSql(name, condition, VALUE_OUT_OF_RANGE, raw_text, detail, True)
                )
        if col.column.holds_an_identifier and col.raw_is_text:
            matches = f"regexp_full_match(trim({raw}), '{_SCIENTIFIC_NUMBER_PATTERN}')"
            condition = f"coalesce({matches}, false)"
            said = (
                " is a number in a spreadsheet's scientific notation: its digits are lost "
                "(export the column as text)"
            )
            detail = f"{quote_literal(name + '=')} || {raw_text} || {quote_literal(said)}"
            if col.row_level:
                conditions.append((condition, ID_IN_SCIENTIFIC_NOTATION, name, detail))
            else:
                fields.append(
                    FieldIssueSql(
                        name, condition, ID_IN_SCIENTIFIC_NOTATION, raw_text, detail, True
                    )
                )
        if col.vocabulary:
            # as staging reads it (macro normalize_vocabulary): trimmed, lower-case
            normalised = f"lower(nullif(trim({typed}), ''))"
            listed = ", ".join(quote_literal(v) for v in col.vocabulary)
            condition = f"({normalised} is not null and {normalised} not in ({listed}))"
            said = " is not in its contract vocabulary: " + " | ".join(col.vocabulary)
            detail = f"{quote_literal(name + '=')} || {raw_text} || {quote_literal(said)}"
            if col.row_level:
                conditions.append((condition, NOT_IN_VOCABULARY, name, detail))
            else:
                fields.append(
                    FieldIssueSql(name, condition, NOT_IN_VOCABULARY, raw_text, detail, True)
                )
    field_bad = "(" + " or ".join(f.condition for f in fields) + ")" if fields else "false"
    if not conditions:
        null = "cast(null as varchar)"
        return ProblemSql("false", null, null, null, field_bad, tuple(fields))
    codes = " ".join(f"when {cond} then '{code}'" for cond, code, _, _ in conditions)
    names = " ".join(f"when {cond} then {quote_literal(name)}" for cond, _, name, _ in conditions)
    details = ", ".join(f"case when {cond} then {detail} end" for cond, _, _, detail in conditions)
    return ProblemSql(
        bad="(" + " or ".join(cond for cond, _, _, _ in conditions) + ")",
        reason_code=f"case when p._bad then case {codes} end end",
        reason_column=f"case when p._bad then case {names} end end",
        reason_detail=f"case when p._bad then concat_ws('; ', {details}) end",
        field_bad=field_bad,
        fields=tuple(fields),
    )


def accepted_value_sql(column: str, problems: ProblemSql) -> str:
    """The value landed for `column` of an accepted row over `p`: NULL where a field-level
    problem leaves a typed value behind (out of range, not in the vocabulary)."""
    nulling = [f.condition for f in problems.fields if f.column == column and f.nulls_typed]
    ref = f"p.{quote_ident(column)}"
    if not nulling:
        return ref
    return f"case when {' or '.join(nulling)} then null else {ref} end"


def key_sql(table: Table) -> str:
    """The row's key as text over `p` (key columns joined by '|'), for audit records."""
    parts = ", ".join(f"cast(p.{quote_ident(k)} as varchar)" for k in table.key)
    return f"concat_ws('|', {parts})"


def table_columns_sql(
    table: Table, source_types: dict[str, str], settings: SourceSettings = DEFAULT_SETTINGS
) -> list[ColumnSql]:
    return [
        column_sql(
            col,
            # discovery lets a file leave out optional columns (never required ones)
            source_types.get(col.name),
            settings,
            row_level=col.required or col.name in table.key,
            value_range=col.range,
        )
        for col in table.columns
    ]


def contract_ranges(table: Table) -> dict[str, tuple[float | None, float | None]]:
    """Column -> (min, max) of the columns of `table` whose contract sets a range."""
    return {col.name: col.range for col in table.columns if col.range is not None}
