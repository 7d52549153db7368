"""The raw landing contract (cx360/contract/raw_contract.yml), loaded once and typed.

The YAML is the living contract (the spec in ../shared/spec is the contract as first given).
Its rules on values are data: a column's vocabulary (`values`, or `values_of` another column)
and range (`range: [min, max]`), who a row identifies (`identifies`, `contact_of`) and what is
personal data (`personal`); landing, the GX raw suites and the generator read them here, the dbt
sources are generated from them (cx360.contract_sources), and tests/test_contract_sync.py
checks the copies dbt reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).parent / "contract" / "raw_contract.yml"

# Contract type -> DuckDB type used when landing. Money is DECIMAL(18, 4) so sums are exact.
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "numeric": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

# The same types on the other engines raw tables are copied to (docs/architecture.md).
POSTGRES_TYPES: dict[str, str] = {
    "string": "text",
    "int": "bigint",
    "decimal": "numeric(18,4)",
    "numeric": "double precision",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
SPARK_TYPES: dict[str, str] = {
    "string": "string",
    "int": "bigint",
    "decimal": "decimal(18,4)",
    "numeric": "double",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


COLUMN_KEYS = frozenset(
    {
        "type",
        "required",
        "description",
        "values",
        "values_of",
        "range",
        "identifies",
        "personal",
        "normalise",
    }
)
IDENTITIES = ("customer", "email", "phone")
# `normalise:` a column may declare, for what its type and other keys do not say
# iso_code: ISO 3166 / 4217 codes, trimmed, upper case; code: a code with no closed vocabulary,
# compared as vocabularies are (trimmed, lower case)
NORMALISATIONS = ("iso_code", "code")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str = ""
    values: tuple[str, ...] = ()  # the vocabulary; () = free text
    range: tuple[float | None, float | None] | None = None  # (min, max), None = open
    identifies: str | None = None  # customer | email | phone: erasure matches on it
    personal: bool = False  # personal data: tagged pii in dbt, never published
    normalise: str | None = None  # one of NORMALISATIONS

    @property
    def holds_an_identifier(self) -> bool:
        """Text that identifies a record or a person: an `_id` column, a customer or phone
        identity. Landing refuses such values in a spreadsheet's scientific notation."""
        return self.type == "string" and (
            self.name.endswith("_id") or self.identifies in ("customer", "phone")
        )

    @property
    def staging_rule(self) -> str:
        """How staging reads the raw value (macros/staging.sql, one macro per rule): `cast` to
        the contract type; for text, by precedence, the declared `normalise`, e-mail or phone
        normalisation of an identity, `code` (trimmed, lower case) for a column with a
        vocabulary, else `text` (trimmed, case kept: ids are case-sensitive)."""
        if self.type != "string":
            return "cast"
        if self.normalise:
            return self.normalise
        if self.identifies in ("email", "phone"):
            return self.identifies
        return "code" if self.values else "text"

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    @property
    def postgres_type(self) -> str:
        return POSTGRES_TYPES[self.type]

    @property
    def spark_type(self) -> str:
        return SPARK_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    optional: bool = False
    description: str = ""
    # customer columns the table's e-mail/phone belong to; None = all of them, () = the row's own
    contact_of: tuple[str, ...] | None = None
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no contract column {name!r}")

    @property
    def has_updated_at(self) -> bool:
        return "updated_at" in self.column_names


@cache
def load_contract(path: Path = CONTRACT_PATH) -> dict[str, Table]:
    """Return the contract's tables by name, in contract order."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    tables: dict[str, Table] = {}
    for name, body in spec["tables"].items():
        for col_name, col in body["columns"].items():
            unknown_keys = set(col) - COLUMN_KEYS
            if unknown_keys:  # e.g. an unquoted description with a comma in a flow mapping
                raise ValueError(
                    f"contract {name}.{col_name}: unknown keys {sorted(unknown_keys)} "
                    f"(allowed: {sorted(COLUMN_KEYS)}; quote a description holding a comma)"
                )
            if col.get("identifies") not in (None, *IDENTITIES):
                raise ValueError(f"contract {name}.{col_name}: identifies one of {IDENTITIES}")
            if col.get("normalise") not in (None, *NORMALISATIONS):
                raise ValueError(f"contract {name}.{col_name}: normalise one of {NORMALISATIONS}")
        columns = tuple(
            Column(
                name=col_name,
                type=col["type"],
                required=bool(col.get("required", False)),
                description=str(col.get("description", "")),
                values=_vocabulary(spec, name, col),
                range=_range(name, col_name, col.get("range")),
                identifies=col.get("identifies"),
                personal=bool(col.get("personal", False)),
                normalise=col.get("normalise"),
            )
            for col_name, col in body["columns"].items()
        )
        unknown = {c.type for c in columns} - DUCKDB_TYPES.keys()
        if unknown:
            raise ValueError(f"contract table {name}: unknown column types {sorted(unknown)}")
        tables[name] = Table(
            name=name,
            key=tuple(body["key"]),
            columns=columns,
            optional=bool(body.get("optional", False)),
            description=str(body.get("description", "")),
            contact_of=tuple(body["contact_of"]) if "contact_of" in body else None,
        )
    return tables


def _vocabulary(spec: dict, table: str, column: dict) -> tuple[str, ...]:
    """The column's `values`, or those of the column its `values_of` names."""
    if "values_of" in column:
        other_table, other_column = column["values_of"].split(".")
        try:
            column = spec["tables"][other_table]["columns"][other_column]
        except KeyError:
            raise ValueError(
                f"contract table {table}: values_of {column['values_of']} names no column"
            ) from None
    values = tuple(str(v) for v in column.get("values", ()))
    if len(set(values)) != len(values):
        raise ValueError(f"contract table {table}: a vocabulary lists a value twice: {values}")
    return values


Range = tuple[float | None, float | None]


def _range(table: str, column: str, bounds: list | None) -> Range | None:
    if bounds is None:
        return None
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise ValueError(f"contract {table}.{column}: range [{low}, {high}] is empty")
    return (low, high)
