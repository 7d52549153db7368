"""Customers: identity, geography and the hidden traits that drive every other table.

Two hidden traits per customer make the data correlated:
- `satisfaction` (about standard normal): survey answers, churn, tickets, referrals and
  payment behaviour all follow it. Network incident exposure of the home area lowers it.
- `lifetime`: a Weibull draw (shape < 1, so the churn hazard falls with tenure: older
  customers churn less), scaled up for satisfied customers (detractors churn more).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.generate import vocab
from cx360.generate.columns import (
    DAY,
    Window,
    booleans,
    choice,
    dates,
    ids,
    pick,
    pick_plain,
    rng_for,
    timestamps,
)
from cx360.generate.frame import RawTable, make_table
from cx360.generate.identity import e164
from cx360.generate.network import Areas, Incidents
from cx360.generate.shards import Shard

YEAR_S = int(365.25 * DAY)
NEVER = np.iinfo(np.int64).max // 4  # "no churn": far beyond any window
PROSPECT_SHARE = 0.10
CUSTOMER_ID_WIDTH = 8


def customer_ids(numbers: np.ndarray) -> pa.Array:
    """Customer number (0-based) -> contract id string C00000001..."""
    return ids("C", numbers + 1, CUSTOMER_ID_WIDTH)


@dataclass
class World:
    """Per-customer facts shared by all domain modules (arrays of length n, indexed by the
    customer's position in its shard: customer number = shard.first + index)."""

    shard: Shard
    n: int
    window: Window
    created_s: np.ndarray
    segment: np.ndarray
    channel: np.ndarray
    area: np.ndarray
    currency: np.ndarray  # index into vocab.CURRENCIES
    satisfaction: np.ndarray
    is_prospect: np.ndarray
    life_start_s: np.ndarray  # first contract start (created_at for prospects)
    life_end_s: np.ndarray  # churn moment, NEVER when still a customer
    email: pa.Array  # canonical lower-case address, null when unknown
    phone: np.ndarray  # 9-digit national significant number (France-like), 0 when unknown
    customer_id: pa.Array
    first_name: np.ndarray  # index into vocab.FIRST_NAMES
    last_name: np.ndarray  # index into vocab.LAST_NAMES
    phone_offset: int  # of the phone bijection; the same in every shard (unique phones)

    def ids_of(self, owner: np.ndarray) -> pa.Array:
        """Contract customer ids of customers given by their index in this shard."""
        return customer_ids(np.asarray(owner) + self.shard.first)

    def active_span(self) -> tuple[np.ndarray, np.ndarray]:
        """[start, end) seconds of each customer's relationship inside the window; prospects
        are in touch from creation; an empty span has end <= start."""
        start = np.maximum(self.life_start_s, self.window.start_s)
        end = np.minimum(self.life_end_s, self.window.end_s)
        return start, end

    def active_years(self) -> np.ndarray:
        start, end = self.active_span()
        return np.maximum(end - start, 0) / YEAR_S

    def alive_at(self, owner: np.ndarray, at_s: np.ndarray) -> np.ndarray:
        return (self.life_start_s[owner] <= at_s) & (at_s < self.life_end_s[owner])


def _created_times(rng: np.random.Generator, n: int, window: Window) -> np.ndarray:
    """55 % were customers before the window (tenure up to 12 years), the rest join during
    it, a little faster towards the end (growth). Sorted: ids follow creation order."""
    before = rng.random(n) < 0.55
    age = np.minimum(rng.exponential(3.0 * YEAR_S, n), 12 * YEAR_S)
    span = window.end_s - window.start_s
    during = (
        window.start_s
        + (np.sqrt(rng.random(n) * 0.3 + 0.7) - np.sqrt(0.7)) / (1 - np.sqrt(0.7)) * span
    )
    created = np.where(before, window.start_s - age, during).astype(np.int64)
    created += rng.integers(0, DAY, n)
    return np.sort(np.minimum(created, window.end_s - 1))


def make_world(
    seed: int,
    shard: Shard,
    window: Window,
    areas: Areas,
    incidents: Incidents,
    phone_offset: int | None = None,
) -> World:
    """The customers of one shard. `phone_offset` is shard 0's (None for shard 0 itself):
    phones are a bijection of the customer number, unique only with one offset per run."""
    rng = rng_for(seed, "customers", shard.index)
    n = shard.size
    created = _created_times(rng, n, window)
    segment = choice(rng, vocab.SEGMENT_WEIGHTS, n)
    channel = choice(rng, vocab.ACQUISITION_WEIGHTS, n)
    area = rng.choice(areas.count, size=n, p=areas.weight)
    country = areas.country[area]
    currency_of_country = np.asarray([vocab.CURRENCIES.index(c) for c in vocab.COUNTRY_CURRENCY])
    currency = currency_of_country[country]
    satisfaction = (
        rng.normal(0.0, 1.0, n) + 0.15 * (segment == 1) - 0.45 * incidents.exposure_z[area]
    )
    # Referred customers came through a purchase: never prospects.
    is_prospect = (rng.random(n) < PROSPECT_SHARE) & (channel != vocab.REFERRAL_CHANNEL)
    # the first contract starts within a week of joining, never after the window
    life_start = np.minimum(
        created + rng.integers(0, 7 * DAY, n), np.maximum(created, window.end_s - 1)
    )
    # at least 30 days: a contract covers a month before it can end
    lifetime = 7.0 * YEAR_S * np.exp(0.6 * satisfaction) * rng.weibull(0.8, n) + 30 * DAY
    life_end = np.where(is_prospect, NEVER, life_start + lifetime.astype(np.int64))
    life_start = np.where(is_prospect, created, life_start)
    numbers = shard.first + np.arange(n)  # customer numbers of the run
    has_email = rng.random(n) < 0.92
    has_phone = rng.random(n) < 0.85
    first = rng.integers(0, len(vocab.FIRST_NAMES), n)
    last = rng.integers(0, len(vocab.LAST_NAMES), n)
    email = _emails(rng, numbers, first, last, segment, has_email)
    # A bijection of the customer number onto 6xx xx xx xx / 7xx xx xx xx: unique phones.
    offset = int(rng.integers(0, 200_000_000))  # drawn in every shard: same stream layout
    if phone_offset is not None:
        offset = phone_offset
    phone = np.where(has_phone, 600_000_000 + (numbers * 7_919 + offset) % 200_000_000, 0)
    return World(
        shard=shard,
        n=n,
        window=window,
        created_s=created,
        segment=segment,
        channel=channel,
        area=area,
        currency=currency,
        satisfaction=satisfaction,
        is_prospect=is_prospect,
        life_start_s=life_start,
        life_end_s=life_end,
        email=email,
        phone=phone,
        customer_id=customer_ids(numbers),
        first_name=first,
        last_name=last,
        phone_offset=offset,
    )


def _emails(
    rng: np.random.Generator,
    numbers: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    segment: np.ndarray,
    valid: np.ndarray,
) -> pa.Array:
    first_slug = pick_plain([name.lower() for name in vocab.FIRST_NAMES], first)
    last_slug = pick_plain([name.lower() for name in vocab.LAST_NAMES], last)
    number = pc.cast(pa.array(numbers + 1), pa.string())
    domain = pick_plain(
        (*vocab.CONSUMER_MAIL_DOMAINS, "company.example.com"),
        np.where(
            segment == 1,
            len(vocab.CONSUMER_MAIL_DOMAINS),
            rng.integers(0, len(vocab.CONSUMER_MAIL_DOMAINS), len(numbers)),
        ),
    )
    email = pc.binary_join_element_wise(first_slug, ".", last_slug, number, "@", domain, "")
    return pc.if_else(pa.array(valid), email, None)


def crm_customers(seed: int, world: World, areas: Areas) -> RawTable:
    rng = rng_for(seed, "crm_customers", world.shard.index)
    n = world.n
    first, last = world.first_name, world.last_name
    created = world.created_s
    consumer = world.segment == 0
    age_days = rng.integers(18 * 365, 85 * 365, n)
    birth = created // DAY - age_days
    # 30 % changed their profile since creation (but not after the window end)
    changed = rng.random(n) < 0.30
    horizon = np.maximum(world.window.end_s - created, 1)
    updated = np.where(changed, created + (rng.random(n) * horizon).astype(np.int64), created)
    consent = rng.random(n) < np.where(world.channel == vocab.REFERRAL_CHANNEL, 0.75, 0.6)
    return make_table(
        "crm_customers",
        updated // DAY,
        customer_id=world.customer_id,
        email=world.email,
        phone=e164(world.phone),
        first_name=pick(vocab.FIRST_NAMES, first),
        last_name=pick(vocab.LAST_NAMES, last),
        birth_date=dates(birth, valid=consumer),
        postal_code=pick(areas.postal_codes, world.area),
        city=pick(areas.cities, world.area),
        country=pick(vocab.COUNTRIES, areas.country[world.area]),
        segment=pick(vocab.SEGMENTS, world.segment),
        acquisition_channel=pick(vocab.ACQUISITION_CHANNELS, world.channel),
        created_at=timestamps(created),
        marketing_consent=booleans(consent),
        updated_at=timestamps(updated),
    )


def erasure_requests(seed: int, world: World, count: int) -> RawTable:
    """This shard's part of the run's `count` right-to-erasure requests, in the last 30 days
    of the window (default none)."""
    rng = rng_for(seed, "erasure_requests", world.shard.index)
    count = min(world.shard.share_of(count), world.n)
    who = np.sort(rng.choice(world.n, size=count, replace=False)) if count else np.zeros(0, int)
    at = world.window.end_s - (rng.random(count) * 30 * DAY).astype(np.int64)
    at = np.maximum(at, world.created_s[who])
    order = np.argsort(at, kind="stable")
    who, at = who[order], at[order]
    offset, width = world.shard.numbering.claim("erasure_requests", count, 6)
    return make_table(
        "erasure_requests",
        at // DAY,
        request_id=ids("ERQ", offset + np.arange(1, count + 1), width),
        customer_id=world.ids_of(who),
        requested_at=timestamps(at),
    )
