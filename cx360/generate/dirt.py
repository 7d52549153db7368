"""Defects real extracts contain, injected into a share `dirty_rate` of the rows.

Per table, each row is picked for a defect kind independently with probability
`dirty_rate * SHARE[kind]` (the shares sum to about 1, so roughly `dirty_rate` of the rows
carry a defect). Kinds that make no sense for a table are skipped (no `updated_at`, no
customer reference, ...). With `dirty_rate == 0` nothing is touched.

Defects keep the *current* truth intact where a real source would: an "updated" row is an
older version of the row (earlier `updated_at`, earlier status) landing in an earlier batch,
so deduplicating on the latest `updated_at` gives back the clean row.

In a run of several customer shards each shard's tables get their own defects (the shard's
random stream), unknown customer ids lie beyond the run's last customer (in no shard), and
the report adds up the counts of all shards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.contract import Table
from cx360.generate.columns import DAY, Window, rng_for
from cx360.generate.customers import CUSTOMER_ID_WIDTH, World
from cx360.generate.frame import RawTable
from cx360.generate.identity import messy_emails, messy_phones
from cx360.generate.shards import Shard

SHARE = {
    "resent": 0.25,  # exact duplicate in a later batch
    "updated": 0.20,  # an older version of the row (same key, earlier updated_at)
    "late": 0.15,  # the row lands 2-10 days after it happened
    "messy_identity": 0.15,  # known only by a messy e-mail/phone (some by nobody we know)
    "out_of_range": 0.05,  # score / rating / severity / duration outside its range
    "unknown_customer": 0.05,  # customer_id absent from crm_customers
    "bad_type": 0.05,  # 'abc' in a number, '2026-13-45' in a date (CSV only)
    "missing_required": 0.05,  # a required column left empty
}
STRANGER_SHARE = 0.2  # of messy identities: an address nobody in the CRM has

# Earlier state of a row for the "updated" defect: column -> value of the older version.
EARLIER_STATE: dict[str, dict[str, object]] = {
    "crm_contracts": {"status": "active"},
    "billing_invoices": {"status": "open", "paid_at": None},
    "billing_orders": {"status": "completed"},
    "support_tickets": {"status": "open", "resolved_at": None, "closed_at": None},
}
CONTACT_COLUMNS = {  # table -> (e-mail column, phone column, identity dropped?)
    "crm_customers": ("email", "phone", False),
    "survey_responses": ("respondent_email", None, True),
    "support_tickets": ("requester_email", "requester_phone", True),
    "interactions": ("contact_email", "contact_phone", True),
}
OUT_OF_RANGE = {  # table -> (column, bad values to draw from)
    "survey_responses": ("score", (-1.0, -3.0, 11.0, 12.0, 15.0, 99.0)),
    "employee_survey_responses": ("score", (-1.0, 11.0, 14.0)),
    "product_reviews": ("rating", (0.0, 6.0, 7.0, 10.0)),
    "network_incidents": ("severity", (0, 5, 9)),
    "interactions": ("duration_seconds", (-1, -60, -3600)),
}
CUSTOMER_REFERENCES = {
    "crm_contracts": "customer_id",
    "crm_referrals": "referrer_customer_id",
    "billing_invoices": "customer_id",
    "billing_orders": "customer_id",
    "survey_responses": "customer_id",
    "support_tickets": "customer_id",
    "interactions": "customer_id",
    "product_reviews": "customer_id",
}
BAD_LITERALS = {
    "int": ("abc", "12.5", "1e"),
    "decimal": ("abc", "12,50", "EUR 10"),
    "numeric": ("abc", "n/a", "7,5"),
    "bool": ("maybe", "2"),
    "date": ("2026-13-45", "31/12/2025", "yesterday"),
    "timestamp": ("2026-13-45T25:61:00", "not a time", "2025-02-30 10:00:00"),
}


@dataclass
class DirtReport:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, table: str, kind: str, rows: int) -> None:
        if rows:
            self.counts[(table, kind)] += rows

    def kinds(self, table: str | None = None) -> set[str]:
        return {k for (t, k), v in self.counts.items() if v and (table is None or t == table)}


def _set_rows(column: pa.Array, rows: np.ndarray, values: pa.Array | object) -> pa.Array:
    """column with rows (sorted) replaced by values (an array aligned with rows, or a scalar)."""
    if rows.shape[0] == 0:
        return column
    mask = np.zeros(len(column), dtype=bool)
    mask[rows] = True
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        if isinstance(values, pa.Array) or (
            values is not None and values not in column.dictionary.to_pylist()
        ):
            column = column.dictionary_decode()  # a value outside the vocabulary
        else:
            code = None if values is None else column.dictionary.to_pylist().index(values)
            codes = pa.array([code] * rows.shape[0], type=column.indices.type)
            indices = pc.replace_with_mask(column.indices, pa.array(mask), codes)
            return pa.DictionaryArray.from_arrays(indices, column.dictionary)
    if not isinstance(values, pa.Array):
        values = pa.array([values] * rows.shape[0], type=column.type)
    return pc.replace_with_mask(column, pa.array(mask), values.cast(column.type))


def _pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    return np.flatnonzero(rng.random(n) < rate)


def _customer_numbers(customer_id: pa.Array) -> np.ndarray:
    """C00000042 -> 41; -1 where null."""
    digits = pc.utf8_slice_codeunits(customer_id, 1, 1 + CUSTOMER_ID_WIDTH)
    return pc.fill_null(pc.cast(digits, pa.int64()), 0).to_numpy() - 1


def inject(
    raw: RawTable,
    table: Table,
    rate: float,
    seed: int,
    report: DirtReport,
    *,
    shard: Shard,
    window: Window,
    world: World | None,
) -> RawTable:
    """Return the table with defects: in-place ones on picked rows, plus extra rows.

    `shard` made the rows (shard 0 for the tables generated once per run); `world` holds its
    customers, needed for the tables with contact columns (CONTACT_COLUMNS)."""
    if rate <= 0 or raw.batch_day is None or raw.num_rows == 0:
        return raw
    rng = rng_for(seed, f"dirt:{raw.name}", shard.index)
    n = raw.num_rows
    w = window
    cols = dict(raw.columns)
    batch = raw.batch_day.copy()

    late = _pick(rng, n, rate * SHARE["late"])
    batch[late] = np.minimum(batch[late] + rng.integers(2, 11, late.shape[0]), w.end_day)
    report.add(raw.name, "late", late.shape[0])

    if raw.name in CONTACT_COLUMNS:
        if world is None:
            raise AssertionError(f"{raw.name}: messy identities need the shard's customers")
        _messy_identity(rng, raw.name, cols, world, rate, report)
    if raw.name in OUT_OF_RANGE:
        name, bad = OUT_OF_RANGE[raw.name]
        rows = _pick(rng, n, rate * SHARE["out_of_range"])
        values = pa.array(np.asarray(bad)[rng.integers(0, len(bad), rows.shape[0])])
        cols[name] = _set_rows(cols[name], rows, values)
        report.add(raw.name, "out_of_range", rows.shape[0])
    if raw.name in CUSTOMER_REFERENCES:
        name = CUSTOMER_REFERENCES[raw.name]
        rows = _pick(rng, n, rate * SHARE["unknown_customer"])
        # id numbers beyond the run's last customer: unknown in every shard
        unknown = shard.total + 1 + rng.integers(0, 1_000_000, rows.shape[0])
        width = max(CUSTOMER_ID_WIDTH, len(str(int(unknown.max()))) if rows.shape[0] else 0)
        values = pc.binary_join_element_wise(
            "C", pc.utf8_lpad(pc.cast(pa.array(unknown), pa.string()), width, "0"), ""
        )
        cols[name] = _set_rows(cols[name], rows, values)
        report.add(raw.name, "unknown_customer", rows.shape[0])
    required = [c.name for c in table.columns if c.required and c.name not in table.key]
    if required:
        rows = _pick(rng, n, rate * SHARE["missing_required"])
        which = rng.integers(0, len(required), rows.shape[0])
        for i, name in enumerate(required):
            cols[name] = _set_rows(cols[name], rows[which == i], None)
        report.add(raw.name, "missing_required", rows.shape[0])

    out = RawTable(raw.name, cols, batch)
    extras: list[RawTable] = []
    resent = _pick(rng, n, rate * SHARE["resent"])
    if resent.shape[0]:
        copy = out.take(resent)
        copy.batch_day = np.minimum(copy.batch_day + rng.integers(1, 6, resent.shape[0]), w.end_day)
        extras.append(copy)
        report.add(raw.name, "resent", resent.shape[0])
    if table.has_updated_at:
        older = _older_versions(rng, out, rate)
        if older is not None:
            extras.append(older)
            report.add(raw.name, "updated", older.num_rows)
    for extra in extras:
        out = out.extend(extra)
    return out


def _older_versions(rng: np.random.Generator, raw: RawTable, rate: float) -> RawTable | None:
    """Earlier versions of picked rows: updated_at 1-10 days earlier, earlier state."""
    rows = _pick(rng, raw.num_rows, rate * SHARE["updated"])
    known = pc.is_valid(raw.columns["updated_at"].take(pa.array(rows)))
    rows = rows[known.to_numpy(zero_copy_only=False)]  # a row without updated_at has no past
    if rows.shape[0] == 0:
        return None
    older = raw.take(rows)
    updated = pc.cast(older.columns["updated_at"], pa.int64()).to_numpy(zero_copy_only=False)
    earlier = updated - rng.integers(1, 11, rows.shape[0]) * DAY * 1_000_000
    older.columns["updated_at"] = pa.array(earlier, type=pa.timestamp("us"))
    for name, value in EARLIER_STATE.get(raw.name, {}).items():
        older.columns[name] = _set_rows(older.columns[name], np.arange(rows.shape[0]), value)
    if raw.name == "crm_customers":
        older.columns["marketing_consent"] = pc.invert(older.columns["marketing_consent"])
    older.batch_day = earlier // (DAY * 1_000_000)
    return older


def _messy_identity(
    rng: np.random.Generator,
    name: str,
    cols: dict[str, pa.Array],
    world: World,
    rate: float,
    report: DirtReport,
) -> None:
    """Rows whose person is known only by a messy e-mail or phone (or, for the CRM itself,
    whose contact details are typed messily)."""
    email_col, phone_col, drop_id = CONTACT_COLUMNS[name]
    id_col = "customer_id"
    n = len(cols[id_col])
    rows = _pick(rng, n, rate * SHARE["messy_identity"])
    who = _customer_numbers(cols[id_col].take(pa.array(rows)))
    rows, who = rows[who >= 0], who[who >= 0]
    who = who - world.shard.first  # the shard's rows reference the shard's customers
    if rows.shape[0] == 0:
        return
    email = world.email.take(pa.array(who))
    has_email = pc.is_valid(email).to_numpy(zero_copy_only=False)
    stranger = rng.random(rows.shape[0]) < STRANGER_SHARE
    stranger_email = pc.binary_join_element_wise(
        "stranger", pc.cast(pa.array(rng.integers(0, 10**9, rows.shape[0])), pa.string()),
        "@example.net", "",
    )  # fmt: skip
    email = pc.if_else(pa.array(stranger), stranger_email, email)
    has_email |= stranger
    use_email = has_email if phone_col is None else has_email & (rng.random(rows.shape[0]) < 0.6)
    phone = world.phone[who]
    use_phone = ~use_email & (phone > 0) & (phone_col is not None)
    done = use_email | use_phone
    email_rows = rows[use_email]
    cols[email_col] = _set_rows(
        cols[email_col], email_rows, messy_emails(rng, email.filter(pa.array(use_email)))
    )
    if phone_col is not None:
        cols[phone_col] = _set_rows(
            cols[phone_col], rows[use_phone], messy_phones(rng, phone[use_phone])
        )
    if drop_id:
        cols[id_col] = _set_rows(cols[id_col], rows[done], None)
    report.add(name, "messy_identity", int(done.sum()))


def inject_bad_types(
    strings: pa.Table, table: Table, rate: float, seed: int, report: DirtReport, shard: int = 0
) -> pa.Table:
    """CSV only: unparseable values in typed columns of a table already rendered as text
    (`shard`: index of the customer shard that made the rows)."""
    typed = [c for c in table.columns if c.type != "string" and c.name not in table.key]
    if rate <= 0 or not typed or strings.num_rows == 0:
        return strings
    rng = rng_for(seed, f"bad_types:{table.name}", shard)
    rows = _pick(rng, strings.num_rows, rate * SHARE["bad_type"])
    which = rng.integers(0, len(typed), rows.shape[0])
    for i, col in enumerate(typed):
        mine = rows[which == i]
        if mine.shape[0] == 0:
            continue
        literals = BAD_LITERALS[col.type]
        values = pa.array(np.asarray(literals)[rng.integers(0, len(literals), mine.shape[0])])
        index = strings.schema.get_field_index(col.name)
        column = strings.column(index).combine_chunks()
        strings = strings.set_column(index, col.name, _set_rows(column, mine, values))
    report.add(table.name, "bad_type", rows.shape[0])
    return strings
