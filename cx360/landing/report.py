"""What a landing run did, per table: the object `land()` returns and reporting prints."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TableLanding:
    """Counts for one contract table in one landing run (skipped batches add no rows)."""

    table: str
    batches_loaded: int = 0  # new batches plus replaced ones
    batches_replaced: int = 0  # same name, new content: old rows removed first
    batches_skipped: int = 0  # same name, same content: already held
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    # "column: reason_code" -> fields landed NULL (audit.landing_field_issues)
    fields_nulled: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)  # CSV batch name -> encoding read

    @property
    def balanced(self) -> bool:
        """Nothing dropped: every row read was accepted or quarantined."""
        return self.rows_read == self.rows_accepted + self.rows_quarantined


@dataclass
class LandingReport:
    target: str
    raw_dir: str
    tables: list[TableLanding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exported_tables: list[str] = field(default_factory=list)  # copied to postgres / spark
    seconds: float = 0.0

    def table(self, name: str) -> TableLanding:
        for entry in self.tables:
            if entry.table == name:
                return entry
        raise KeyError(name)

    @property
    def total(self) -> TableLanding:
        total = TableLanding(table="total")
        for entry in self.tables:
            total.batches_loaded += entry.batches_loaded
            total.batches_replaced += entry.batches_replaced
            total.batches_skipped += entry.batches_skipped
            total.rows_read += entry.rows_read
            total.rows_accepted += entry.rows_accepted
            total.rows_quarantined += entry.rows_quarantined
        return total

    @property
    def changed_tables(self) -> list[str]:
        return [entry.table for entry in self.tables if entry.batches_loaded]
