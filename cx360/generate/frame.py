"""RawTable: a generated table's columns plus the day each row lands (its batch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cx360.contract import Table
from cx360.generate.columns import ARROW_TYPES


@dataclass
class RawTable:
    """Columns in contract order and types; `batch_day` (days since epoch) is when each row
    reaches the raw folder. `batch_day is None` marks a static table written as one file."""

    name: str
    columns: dict[str, pa.Array | pa.ChunkedArray]
    batch_day: np.ndarray | None

    @property
    def num_rows(self) -> int:
        return len(next(iter(self.columns.values())))

    def take(self, rows: np.ndarray) -> RawTable:
        index = pa.array(rows, type=pa.int64())
        return RawTable(
            self.name,
            {name: col.take(index) for name, col in self.columns.items()},
            None if self.batch_day is None else self.batch_day[rows],
        )

    def extend(self, other: RawTable) -> RawTable:
        """Rows of self, then rows of other (same columns)."""
        # chunked arrays: appending is zero-copy (concatenating big string columns is not)
        cols = {
            name: pa.chunked_array(_chunks(col) + _chunks(other.columns[name]))
            for name, col in self.columns.items()
        }
        day = None
        if self.batch_day is not None and other.batch_day is not None:
            day = np.concatenate([self.batch_day, other.batch_day])
        return RawTable(self.name, cols, day)

    def to_arrow(self, table: Table) -> pa.Table:
        """The rows as an Arrow table with exactly the contract's columns and types."""
        missing = set(table.column_names) - set(self.columns)
        extra = set(self.columns) - set(table.column_names)
        if missing or extra:
            raise AssertionError(f"{self.name}: missing {sorted(missing)}, extra {sorted(extra)}")
        arrays = [_as_type(self.columns[c.name], ARROW_TYPES[c.type]) for c in table.columns]
        return pa.Table.from_arrays(arrays, names=list(table.column_names))


def _as_type(column: pa.Array | pa.ChunkedArray, target: pa.DataType) -> pa.Array:
    """Cast to the contract type; a dictionary of the right value type stays encoded."""
    if pa.types.is_dictionary(column.type) and column.type.value_type == target:
        return column
    return column.cast(target)


def _chunks(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]


def make_table(name: str, batch_day: np.ndarray | None, **columns: pa.Array) -> RawTable:
    return RawTable(name, dict(columns), batch_day)
