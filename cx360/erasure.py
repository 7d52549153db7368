"""Right to erasure at publish time, for the one published table dbt does not build.

dbt drops an erased customer's rows in staging (macros/erasure.sql), so every mart and dbt
audit model is computed without them. audit.landing_quarantine is written by landing, not dbt:
it keeps rejected records as delivered (`raw_record`), which may hold the customer's id, e-mail
or phone. publish copies it through `landing_quarantine_filter()`, so no published row carries
them. The match is textual (an id, a normalised e-mail, a phone as delivered, inside the
record): it may also drop a rejected record that merely contains an erased id as a substring,
the safe side for personal data. The build database keeps the raw layer (internal, not
published). See docs/reliability.md.
"""

from __future__ import annotations

# Published tables filtered on their way into the published file: (schema, table) -> condition
# over the build database attached as `build` (alias q for the row).
ERASED_IDENTIFIERS_SQL = """
    with requested as (
        select distinct nullif(trim(customer_id), '') as customer_id
        from build.raw.erasure_requests
    ),
    identifiers as (
        select customer_id as identifier from requested where customer_id is not null
        union
        select lower(nullif(trim(c.email), ''))
        from build.raw.crm_customers as c
        join requested as r on nullif(trim(c.customer_id), '') = r.customer_id
        union
        select nullif(trim(c.phone), '')
        from build.raw.crm_customers as c
        join requested as r on nullif(trim(c.customer_id), '') = r.customer_id
    )
    select identifier from identifiers where identifier is not null
"""


def landing_quarantine_filter() -> str:
    """WHERE condition keeping the landing quarantine rows that name no erased customer."""
    return (
        "not exists (select 1 from (" + ERASED_IDENTIFIERS_SQL + ") as erased "
        "where contains(lower(coalesce(q.raw_record, '') || ' ' || coalesce(q.reason_detail, "
        "'')), lower(erased.identifier)))"
    )


def published_row_filters(build_tables: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(schema, table) -> WHERE condition for the publish copy; empty without erasure data."""
    needed = {("raw", "erasure_requests"), ("raw", "crm_customers")}
    if not needed <= build_tables:
        return {}
    return {("audit", "landing_quarantine"): landing_quarantine_filter()}
