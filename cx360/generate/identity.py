"""How people write their e-mail and phone outside the CRM.

Rows known only by an e-mail or phone (no customer_id) are normal data: identity stitching
attributes them after normalisation (trim + lower-case e-mail; digits-only phone with the
default country code 33). Half of them are written exactly as in the CRM, half in one of
the spellings below: all of them normalise back to the CRM's value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.generate.columns import fixed_width_strings

if TYPE_CHECKING:
    from cx360.generate.customers import World

MESSY_SHARE = 0.5


def e164(phone: np.ndarray) -> pa.Array:
    """+33 followed by the 9 national digits; null where the phone is unknown (0)."""
    phone = np.asarray(phone)
    return fixed_width_strings("+33", np.where(phone > 0, phone, 0), 9, valid=phone > 0)


def messy_emails(rng: np.random.Generator, email: pa.Array) -> pa.Array:
    """Upper case, capitalised or padded with spaces."""
    style = rng.integers(0, 3, len(email))
    upper = pc.utf8_upper(email)
    capital = pc.utf8_capitalize(email)
    padded = pc.binary_join_element_wise("  ", email, " ", "")
    return pc.case_when(
        pc.make_struct(pa.array(style == 0), pa.array(style == 1)), upper, capital, padded
    )


def messy_phones(rng: np.random.Generator, national: np.ndarray) -> pa.Array:
    """The same French number written five ways: '+33 6 12 34 56 78', '0033612345678',
    '06 12 34 56 78', '06.12.34.56.78', '0612345678'."""
    digits = pc.cast(pa.array(np.asarray(national, dtype=np.int64)), pa.string())

    def part(start: int, stop: int) -> pa.Array:
        return pc.utf8_slice_codeunits(digits, start, stop)

    pairs = [part(1, 3), part(3, 5), part(5, 7), part(7, 9)]
    trunk = pc.binary_join_element_wise("0", part(0, 1), "")  # national trunk prefix 0
    formats = [
        pc.binary_join_element_wise("+33", part(0, 1), *pairs, " "),
        pc.binary_join_element_wise("0033", digits, ""),
        pc.binary_join_element_wise(trunk, *pairs, " "),
        pc.binary_join_element_wise(trunk, *pairs, "."),
        pc.binary_join_element_wise("0", digits, ""),
    ]
    style = rng.integers(0, len(formats), len(national))
    conditions = pc.make_struct(*[pa.array(style == i) for i in range(len(formats) - 1)])
    return pc.case_when(conditions, *formats)


def scatter(n: int, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """A string column of n nulls with `values` placed at the (sorted) `rows`."""
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(pa.nulls(n, pa.string()), pa.array(mask), values)


def as_written_emails(rng: np.random.Generator, email: pa.Array) -> pa.Array:
    """CRM addresses as a person types them elsewhere: exact or messy (MESSY_SHARE)."""
    messy = pa.array(rng.random(len(email)) < MESSY_SHARE)
    return pc.if_else(messy, messy_emails(rng, email), email)


def as_written_phones(rng: np.random.Generator, national: np.ndarray) -> pa.Array:
    """CRM phones as a person types them elsewhere: E.164 or messy (MESSY_SHARE)."""
    messy = pa.array(rng.random(national.shape[0]) < MESSY_SHARE)
    return pc.if_else(messy, messy_phones(rng, national), e164(national))


def identity_only_rows(
    rng: np.random.Generator, world: World, owner: np.ndarray, share: float, phones: bool = True
) -> tuple[np.ndarray, pa.Array, pa.Array | None]:
    """Pick about `share` of the rows (owned by customer `owner[i]`) to be known only by
    e-mail, or by phone when the customer has no e-mail (and `phones`).

    Returns (identity_only mask, e-mail column, phone column or None)."""
    n = owner.shape[0]
    picked = np.flatnonzero(rng.random(n) < share)
    email = world.email.take(pa.array(owner[picked]))
    has_email = pc.is_valid(email).to_numpy(zero_copy_only=False)
    national = world.phone[owner[picked]]
    has_phone = ~has_email & (national > 0) & phones
    identity_only = np.zeros(n, dtype=bool)
    identity_only[picked[has_email | has_phone]] = True
    email_column = scatter(n, picked[has_email], as_written_emails(rng, email.filter(has_email)))
    if not phones:
        return identity_only, email_column, None
    phone_column = scatter(n, picked[has_phone], as_written_phones(rng, national[has_phone]))
    return identity_only, email_column, phone_column
