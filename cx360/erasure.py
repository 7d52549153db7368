"""Right to erasure at publish time, for the published tables dbt does not build.

dbt anonymises or drops an erased customer's rows in staging (var erasure_policy,
macros/erasure.sql), and the marts with a customer or source row drop them, so no mart or dbt
audit model names them. audit.landing_quarantine and audit.landing_field_issues
are written by landing, not dbt: they keep rejected records as delivered (`raw_record`) and bad
optional values with their row's key (`key_value`, `raw_value`: a customer's id and birth
date), which may hold the customer's id, e-mail or phone in any format. Which of those records
name an erased customer is decided in dbt, with staging's normalisation, by
stg_privacy__erased_quarantine_records (the same model keeps them out of audit.quarantine);
publish copies both tables without them. The build
database keeps the raw layer (internal, not published). See docs/reliability.md.
"""

from __future__ import annotations

ERASED_RECORDS = ("staging", "stg_privacy__erased_quarantine_records")

# Landing's audit tables that may hold an erased customer's identifiers.
LANDING_AUDIT_TABLES = ("landing_quarantine", "landing_field_issues")


def _not_erased(audit_table: str) -> str:
    """Condition over a row (alias q) of `audit_table` in the build database attached as
    `build`: the record names no erased customer."""
    return f"""
    not exists (
        select 1 from build.{ERASED_RECORDS[0]}.{ERASED_RECORDS[1]} as erased
        where erased.audit_table = '{audit_table}'
          and erased.batch_name = q.batch_name
          and erased.source_line is not distinct from q.source_line
          and erased.source_row is not distinct from q.source_row
    )
"""


def published_row_filters(build_tables: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(schema, table) -> WHERE condition for the publish copy (alias q for the row).

    A build without the erasure model (dbt has not run) cannot tell which records name an
    erased customer: nothing of landing's audit records is published then."""
    known = ERASED_RECORDS in build_tables
    return {
        ("audit", table): _not_erased(table) if known else "false" for table in LANDING_AUDIT_TABLES
    }
