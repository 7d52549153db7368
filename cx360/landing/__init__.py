"""Raw landing: new batch files of a raw folder into the warehouse's `raw` schema.

Incremental and idempotent (a batch already held is skipped, a changed batch replaced), with
bad rows quarantined in `audit.landing_quarantine` and a ledger in `audit.landed_batches`.
See docs/architecture.md for the tables and cx360/landing/duckdb_loader.py for line numbering.
"""

from cx360.landing.core import land
from cx360.landing.report import LandingReport, TableLanding

__all__ = ["LandingReport", "TableLanding", "land"]
