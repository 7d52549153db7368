"""Right to erasure at publish time, for the one published table dbt does not build.

dbt drops an erased customer's rows in staging (macros/erasure.sql), so every mart and dbt
audit model is computed without them. audit.landing_quarantine is written by landing, not dbt:
it keeps rejected records as delivered (`raw_record`), which may hold the customer's id, e-mail
or phone in any format. Which of those records name an erased customer is decided in dbt, with
staging's normalisation, by stg_privacy__erased_quarantine_records (the same model keeps them
out of audit.quarantine); publish copies audit.landing_quarantine without them. The build
database keeps the raw layer (internal, not published). See docs/reliability.md.
"""

from __future__ import annotations

ERASED_RECORDS = ("staging", "stg_privacy__erased_quarantine_records")

# Condition over a landing_quarantine row (alias q) in the build database attached as `build`.
LANDING_QUARANTINE_FILTER = f"""
    not exists (
        select 1 from build.{ERASED_RECORDS[0]}.{ERASED_RECORDS[1]} as erased
        where erased.batch_name = q.batch_name
          and erased.source_line is not distinct from q.source_line
          and erased.source_row is not distinct from q.source_row
    )
"""


def published_row_filters(build_tables: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(schema, table) -> WHERE condition for the publish copy (alias q for the row).

    A build without the erasure model (dbt has not run) cannot tell which rejected records
    name an erased customer: nothing of landing's quarantine is published then."""
    if ERASED_RECORDS in build_tables:
        return {("audit", "landing_quarantine"): LANDING_QUARANTINE_FILTER}
    return {("audit", "landing_quarantine"): "false"}
