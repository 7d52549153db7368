"""Right to erasure: after a run with erasure requests, nothing that identifies the customers is
in the published warehouse (not even the surrogate staging gives them), their rows are gone from
the published facts, the KPIs and every other aggregate are the same as without the requests
(var erasure_policy anonymise: an anonymous contribution), and the requests are logged without
personal data.

The generated dataset (tests/_rel_support.py) holds erasure requests for customers who also
have contracts, invoices, tickets, answers and interactions, some known only by e-mail/phone,
and traces of one erased customer that only matching by identity finds: a re-registration
under a new id with the same e-mail and the phone reformatted, a ticket naming the erased id in
lower case, and a ticket rejected at landing holding the reformatted phone.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator

import duckdb
import pytest
from _drilldown_support import HeldConnection, listed_and_sample
from _rel_support import (
    ERASURE_REQUESTS,
    TRACES_BATCH,
    ErasureTraces,
    PublishedRun,
    add_erasure_traces,
    columns,
    published_tables,
    run_quietly,
)

from cx360.dashboard.data import DRILLDOWNS, erased_customers
from cx360.warehouse import Warehouse

pytestmark = pytest.mark.slow  # one shared pipeline run (tests/_rel_support.py)


@pytest.fixture(scope="module")
def run(rel_run: PublishedRun) -> PublishedRun:
    """The shared published run (tests/conftest.py)."""
    return rel_run


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def erased(run: PublishedRun) -> dict[str, list[str]]:
    """customer_id -> the identifiers to look for: id, e-mail hashes, e-mails, phones."""
    with run.build() as con:
        ids = [r[0] for r in con.execute("select customer_id from raw.erasure_requests").fetchall()]
        found = {}
        for customer_id in ids:
            versions = con.execute(
                "select lower(trim(email)), trim(phone) from raw.crm_customers "
                "where trim(customer_id) = ?",
                [customer_id],
            ).fetchall()
            emails = {e for e, _ in versions if e}
            phones = {p for _, p in versions if p}
            found[customer_id] = [customer_id, *map(_sha256, emails), *emails, *phones]
    assert len(found) == ERASURE_REQUESTS
    traces = add_erasure_traces(run.raw_dir)  # the same files again: how they spell the person
    found[traces.customer_id] += [
        traces.case_variant_id,
        traces.reregistered_id,
        traces.email_as_reregistered,
        traces.phone_reformatted,
        traces.phone_national_digits,
    ]
    return found


@pytest.fixture(scope="module")
def traces(run: PublishedRun) -> ErasureTraces:
    return add_erasure_traces(run.raw_dir)


def test_the_traces_were_landed(run: PublishedRun, traces: ErasureTraces) -> None:
    """The searches below look for something that was there to find."""
    with run.build() as con:
        (case_variant,) = con.execute(
            "select count(*) from raw.support_tickets where customer_id = ?",
            [traces.case_variant_id],
        ).fetchone()
        (reregistered,) = con.execute(
            "select count(*) from raw.crm_customers where customer_id = ?",
            [traces.reregistered_id],
        ).fetchone()
        (rejected,) = con.execute(
            "select count(*) from audit.landing_quarantine where contains(raw_record, ?)",
            [traces.phone_reformatted],
        ).fetchone()
        (nulled_field,) = con.execute(
            "select count(*) from audit.landing_field_issues where key_value = ?",
            [traces.reregistered_id],
        ).fetchone()
    assert (case_variant, reregistered, rejected, nulled_field) == (1, 1, 1, 1)


@pytest.fixture(scope="module")
def controls(run: PublishedRun, erased: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(customer_id, e-mail hash) of published customers: the searches must find these."""
    with run.published() as con:
        rows = con.execute(
            "select customer_id, email_sha256 from marts.customer_360 "
            "where email_sha256 is not null order by customer_id limit 3"
        ).fetchall()
    assert len(rows) == 3 and not {r[0] for r in rows} & set(erased)
    return rows


def _tables_holding(run: PublishedRun, needle: str) -> list[str]:
    """Published `schema.table.column` whose text contains `needle` (any column, any type)."""
    hits = []
    with run.published() as con:
        for table in published_tables(con):
            for column in columns(con, table):
                (count,) = con.execute(
                    f'select count(*) from {table} where contains(lower(cast("{column}" '
                    "as varchar)), lower(?))",
                    [needle],
                ).fetchone()
                if count:
                    hits.append(f"{table}.{column}")
    return hits


def test_search_finds_published_customers(
    run: PublishedRun, controls: list[tuple[str, str]]
) -> None:
    """The searches below can fail: they find a customer that was not erased."""
    data = run.warehouse.published_db.read_bytes()
    for customer_id, email_hash in controls:
        assert _tables_holding(run, customer_id)
        assert _tables_holding(run, email_hash) == ['marts."customer_360".email_sha256']
        assert email_hash.encode() in data


def test_no_published_table_holds_an_erased_customer(
    run: PublishedRun, erased: dict[str, list[str]]
) -> None:
    for customer_id, needles in erased.items():
        for needle in needles:
            assert _tables_holding(run, needle) == [], f"{customer_id}: {needle!r} published"


def test_published_file_bytes_hold_no_erased_identifier(
    run: PublishedRun, erased: dict[str, list[str]]
) -> None:
    """Publish writes a fresh file: no deleted page of an earlier version can hold them."""
    data = run.warehouse.published_db.read_bytes()
    for customer_id, needles in erased.items():
        for needle in needles:
            assert needle.encode("utf-8") not in data, f"{customer_id}: {needle!r} in the file"


def test_rows_attributed_to_erased_customers_are_gone_from_the_facts(
    run: PublishedRun, erased: dict[str, list[str]]
) -> None:
    """Their own rows and rows known only by their e-mail or phone, looked up in raw."""
    ids = list(erased)
    emails = [n for needles in erased.values() for n in needles if "@" in n]
    with run.build() as con:
        con.execute("create temp table erased_ids as select unnest(?) as v", [ids])
        con.execute("create temp table erased_emails as select unnest(?) as v", [emails])
        theirs = {
            "fct_tickets": con.execute(
                "select distinct trim(ticket_id) from raw.support_tickets where trim(customer_id) "
                "in (from erased_ids) or (customer_id is null and lower(trim(requester_email)) "
                "in (from erased_emails))"
            ).fetchall(),
            "fct_interactions": con.execute(
                "select distinct trim(interaction_id) from raw.interactions where "
                "trim(customer_id) in (from erased_ids) or (customer_id is null and "
                "lower(trim(contact_email)) in (from erased_emails))"
            ).fetchall(),
            "fct_survey_answers": con.execute(
                "select distinct trim(response_id) from raw.survey_responses where "
                "trim(customer_id) in (from erased_ids) or (customer_id is null and "
                "lower(trim(respondent_email)) in (from erased_emails))"
            ).fetchall(),
            "fct_revenue": con.execute(
                "select distinct trim(invoice_id) from raw.billing_invoices "
                "where trim(customer_id) in (from erased_ids) union "
                "select distinct trim(order_id) from raw.billing_orders "
                "where trim(customer_id) in (from erased_ids)"
            ).fetchall(),
        }
    key = {
        "fct_tickets": "ticket_id",
        "fct_interactions": "interaction_id",
        "fct_survey_answers": "response_id",
        "fct_revenue": "source_id",
    }
    assert sum(len(rows) for rows in theirs.values()) > 0, "erased customers had no rows"
    with run.published() as con:
        for mart, rows in theirs.items():
            keys = [r[0] for r in rows]
            (left,) = con.execute(
                f"select count(*) from marts.{mart} where {key[mart]} in (select unnest(?))",
                [keys],
            ).fetchone()
            assert left == 0, f"{mart} still holds {left} row(s) of erased customers"


@pytest.fixture(scope="module")
def surrogates(run: PublishedRun) -> list[str]:
    """The keys staging gave the erased identities (internal: in the build database)."""
    with run.build() as con:
        keys = [
            r[0]
            for r in con.execute(
                "select erased_key from staging.stg_privacy__erased_identities"
            ).fetchall()
        ]
        (staged,) = con.execute(
            "select count(*) from staging.stg_support__tickets where customer_id in "
            "(select unnest(?))",
            [keys],
        ).fetchone()
    assert keys and staged > 0, "the erased customers' tickets stay in staging, anonymised"
    return keys


def test_no_published_table_or_byte_holds_their_surrogate(
    run: PublishedRun, surrogates: list[str]
) -> None:
    data = run.warehouse.published_db.read_bytes()
    for key in surrogates:
        assert _tables_holding(run, key) == [], f"{key!r} published"
        assert key.encode() not in data, f"{key!r} in the file"


def test_kpis_count_them_as_an_anonymous_contribution(
    run: PublishedRun, surrogates: list[str]
) -> None:
    """The survey KPIs rest on the published answers plus the erased customers' answers, which
    are in no published row (var erasure_policy anonymise)."""
    by_type = "where score is not null and survey_type in ('nps', 'csat', 'ces')"
    with run.build() as con:
        anonymous = dict(
            con.execute(
                f"select survey_type, count(*) from intermediate.int_survey_answers_scored "
                f"{by_type} and customer_id in (select unnest(?)) group by 1",
                [surrogates],
            ).fetchall()
        )
    with run.published() as con:
        published = dict(
            con.execute(
                f"select survey_type, count(*) from marts.fct_survey_answers {by_type} group by 1"
            ).fetchall()
        )
        samples = dict(
            con.execute(
                "select kpi_name, sample_size from marts.fct_kpi where kpi_name in "
                "('nps', 'csat', 'ces') and period_grain = 'all' and dimension_name = 'overall'"
            ).fetchall()
        )
    assert sum(anonymous.values()) > 0, "the erased customers answered surveys"
    for kpi, sample in samples.items():
        assert sample == published.get(kpi, 0) + anonymous.get(kpi, 0), kpi


# Published tables whose rows are aggregates: under erasure_policy anonymise an erasure request
# leaves them exactly as they were (docs/reliability.md, "Erasure and published history").
AGGREGATE_MARTS = (
    "fct_kpi",
    "cohort_retention",
    "value_tier_summary",
    "revenue_pareto_points",
    "touchpoint_journey",
    "network_quality_impact",
)


@pytest.fixture(scope="module")
def unerased(
    run: PublishedRun, traces: ErasureTraces, tmp_path_factory: pytest.TempPathFactory
) -> PublishedRun:
    """The same raw files without the erasure requests, run through the same pipeline.

    One trace is spelled as the erased customer's own id here: the ticket under the lower-case
    variant of their id. Without a request, ids are case-sensitive and that ticket names an
    unknown customer (quarantined); with one, erasure folds case on the safe side and the
    ticket counts as the person's anonymous contribution. That reclassification is the
    erasure rule's own (docs/reliability.md); everything else must be as it was."""
    root = tmp_path_factory.mktemp("unerased")
    shutil.copytree(run.raw_dir, root / "raw")
    trace_batch = root / "raw" / "support_tickets" / TRACES_BATCH
    text = trace_batch.read_text(encoding="utf-8")
    assert f",{traces.case_variant_id}," in text
    trace_batch.write_text(
        text.replace(f",{traces.case_variant_id},", f",{traces.customer_id},"), encoding="utf-8"
    )
    requests = sorted((root / "raw").glob("erasure_requests*")) + sorted(
        (root / "raw" / "erasure_requests").glob("*")
    )
    assert requests, "the shared run has erasure requests to take away"
    for path in requests:
        if path.is_file():
            path.unlink()
    unerased_run = PublishedRun(root / "raw", Warehouse(root / "wh"))
    status, output = run_quietly(unerased_run.raw_dir, unerased_run.warehouse)
    assert status == 0, output
    return unerased_run


def _rows_differing(run: PublishedRun, other: PublishedRun, table: str) -> tuple[int, int]:
    """Rows of marts.<table> only in `run`, only in `other` (EXCEPT ALL both ways)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{run.warehouse.published_db}' as this_run (read_only)")
        con.execute(f"attach '{other.warehouse.published_db}' as other_run (read_only)")
        return tuple(
            con.execute(
                f"select count(*) from (select * from {left}.marts.{table} "
                f"except all select * from {right}.marts.{table})"
            ).fetchone()[0]
            for left, right in (("this_run", "other_run"), ("other_run", "this_run"))
        )


@pytest.mark.parametrize("table", AGGREGATE_MARTS)
def test_erasure_leaves_published_history_as_it_was(
    run: PublishedRun, unerased: PublishedRun, table: str
) -> None:
    assert _rows_differing(run, unerased, table) == (0, 0), table


def test_erasure_takes_only_them_out_of_customer_360(
    run: PublishedRun, unerased: PublishedRun, erased: dict[str, list[str]], traces: ErasureTraces
) -> None:
    """The control for the test above: the two runs differ where they must (the erased
    customers and the re-registration), and nowhere else in customer_360."""
    with run.build() as con:
        erased_ids = [
            r[0]
            for r in con.execute(
                "select identity_value from staging.stg_privacy__erased_identities "
                "where identity_type = 'customer_id'"
            ).fetchall()
        ]
    assert traces.reregistered_id.lower() in erased_ids and len(erased_ids) > len(erased)
    with unerased.published() as con:
        (theirs,) = con.execute(
            "select count(*) from marts.customer_360 where lower(customer_id) in "
            "(select unnest(?))",
            [erased_ids],
        ).fetchone()
    only_unerased, only_erased = _rows_differing(unerased, run, "customer_360")
    assert (only_unerased, only_erased) == (theirs, 0) and theirs > len(erased)


def test_requests_are_logged_completed_without_personal_data(
    run: PublishedRun, erased: dict[str, list[str]]
) -> None:
    with run.published() as con:
        log = con.execute(
            "select request_id, is_completed, processed_at from audit.erasure_log"
        ).fetchall()
        logged_columns = set(columns(con, "audit.erasure_log"))
    assert len(log) == ERASURE_REQUESTS
    assert all(completed and processed for _, completed, processed in log)
    assert not logged_columns & {"customer_id", "email", "email_sha256", "phone"}


@pytest.fixture(scope="module")
def with_erasures(run: PublishedRun) -> Iterator[HeldConnection]:
    con = run.published()
    try:
        yield HeldConnection(con)
    finally:
        con.close()


def test_erased_customers_rows_are_counted_but_never_listed(
    with_erasures: HeldConnection,
) -> None:
    """The drill-down (tests/test_dashboard_drilldown.py) lists the published rows only: the
    erased customers' rows are in the sample and in no list."""
    assert erased_customers(with_erasures) > 0
    unlisted = {}
    for kpi_name in sorted(DRILLDOWNS):
        found = listed_and_sample(with_erasures, kpi_name)
        over = [
            f"{label}: {listed} > {sample}" for label, listed, sample in found if listed > sample
        ]
        assert over == [], f"{kpi_name}: more rows listed than counted: {over[:5]}"
        unlisted[kpi_name] = sum(sample - listed for _, listed, sample in found)
    assert unlisted["active_customers"] > 0, unlisted
