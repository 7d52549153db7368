"""Invoices (monthly per contract), orders (seasonal, some through referrals) and fx rates.

Amounts are in the customer's currency (its country's); fx_rates gives EUR per unit for
every day of the window, EUR included with rate 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cx360.generate import vocab
from cx360.generate.columns import (
    DAY,
    HOUR,
    Window,
    choice,
    dates,
    explode,
    ids,
    money,
    numbers,
    pick,
    rng_for,
    timestamps,
)
from cx360.generate.contracts import Contracts, Referrals, referral_ids
from cx360.generate.customers import World
from cx360.generate.frame import RawTable, make_table

CREDIT_NOTE_SHARE = 0.005
ORDERS_PER_YEAR = (0.7, 1.5)  # consumer, business


def _first_day_of_month(month: np.ndarray) -> np.ndarray:
    """Day number of the first day of each month (months since 1970-01), through a small
    lookup table: calendar conversion per row would be slow for millions of invoices."""
    if month.shape[0] == 0:
        return month
    base = int(month.min())
    table = np.arange(base, int(month.max()) + 1).astype("datetime64[M]")
    return table.astype("datetime64[D]").astype(np.int64)[month - base]


def _months(seconds: np.ndarray) -> np.ndarray:
    return (seconds // DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def make_invoices(seed: int, world: World, contracts: Contracts) -> RawTable:
    rng = rng_for(seed, "billing_invoices", world.shard.index)
    w = world.window
    first = np.maximum(contracts.start_s, w.start_s)
    last = np.minimum(contracts.end_s, w.end_s) - 1
    count = np.where(last >= first, _months(last) - _months(first) + 1, 0)
    row_contract = explode(count)
    n = row_contract.shape[0]
    # k-th month of the contract's billing inside the window
    k = np.arange(n) - np.repeat(np.cumsum(count) - count, count)
    month = _months(first)[row_contract] + k  # months since 1970-01
    issued_day = np.maximum(_first_day_of_month(month), first[row_contract] // DAY)
    owner = contracts.owner[row_contract]
    satisfaction = world.satisfaction[owner]
    usage = np.where(rng.random(n) < 0.25, np.exp(rng.normal(1.5, 0.8, n)), 0.0)
    amount = contracts.fee[row_contract] + np.round(usage, 2)

    # credit notes: negative amounts a few days after an invoice
    credit = np.flatnonzero(rng.random(n) < CREDIT_NOTE_SHARE)
    row_contract = np.concatenate([row_contract, row_contract[credit]])
    owner = np.concatenate([owner, owner[credit]])
    satisfaction = np.concatenate([satisfaction, satisfaction[credit]])
    credit_day = np.minimum(issued_day[credit] + rng.integers(1, 20, credit.shape[0]), w.end_day)
    issued_day = np.concatenate([issued_day, credit_day])
    credit_amount = -np.round(amount[credit] * rng.uniform(0.2, 1.0, credit.shape[0]), 2)
    amount = np.concatenate([amount, credit_amount])
    n = owner.shape[0]

    issued_s = issued_day * DAY + rng.integers(0, 6 * HOUR, n)
    delay = np.exp(rng.normal(np.log(8.0), 0.6, n)) * np.where(satisfaction < -1.0, 2.0, 1.0)
    paid_s = issued_s + (delay * DAY).astype(np.int64)
    old_enough = issued_s < w.end_s - 60 * DAY
    uncollectible = old_enough & (rng.random(n) < np.where(satisfaction < -1.5, 0.05, 0.005))
    void = ~uncollectible & (rng.random(n) < 0.005)
    paid = ~uncollectible & ~void & (paid_s < w.end_s)
    # 0 open, 1 paid, 2 void, 3 uncollectible
    status = np.select([paid, void, uncollectible], [1, 2, 3], default=0)
    settled_s = issued_s + rng.integers(30 * DAY, 60 * DAY, n)
    updated = np.select([paid, void | uncollectible], [paid_s, settled_s], default=issued_s)
    updated = np.minimum(updated, w.end_s - 1)
    offset, width = world.shard.numbering.claim("billing_invoices", n, 9)
    return make_table(
        "billing_invoices",
        updated // DAY,
        invoice_id=ids("INV", offset + np.arange(1, n + 1), width),
        customer_id=world.ids_of(owner),
        contract_id=contracts.table.columns["contract_id"].take(row_contract),
        issued_at=dates(issued_day),
        due_at=dates(issued_day + 14),
        amount=money(amount),
        currency=pick(vocab.CURRENCIES, world.currency[owner]),
        status=pick(vocab.INVOICE_STATUSES, status),
        paid_at=timestamps(paid_s, valid=paid),
        updated_at=timestamps(updated),
    )


@dataclass
class Orders:
    table: RawTable
    owner: np.ndarray
    ordered_s: np.ndarray
    product: np.ndarray
    completed: np.ndarray


def _seasonal_times(
    rng: np.random.Generator, owner: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform times in each owner's span, thinned by month-of-year weight (seasonality)."""
    t = start[owner] + (rng.random(owner.shape[0]) * (end - start)[owner]).astype(np.int64)
    weight = np.asarray(vocab.ORDER_SEASONALITY)
    month_of_year = _months(t) % 12
    keep = rng.random(t.shape[0]) < weight[month_of_year] / weight.max()
    return owner[keep], t[keep]


def make_orders(seed: int, world: World, referrals: Referrals) -> Orders:
    rng = rng_for(seed, "billing_orders", world.shard.index)
    w = world.window
    start, end = world.active_span()
    years = np.maximum(end - start, 0) / (365.25 * DAY)
    weight = np.asarray(vocab.ORDER_SEASONALITY)
    rate = np.asarray(ORDERS_PER_YEAR)[world.segment] * years * weight.max() / weight.mean()
    rate = np.where(world.is_prospect, 0.0, rate)
    owner, at = _seasonal_times(rng, explode(rng.poisson(rate)), start, end)
    referral = np.zeros(owner.shape[0], dtype=np.int64)

    # the purchase a referral brought in: within two weeks of the referred customer joining
    joined_in_window = world.created_s[referrals.referred] >= w.start_s
    welcome_owner = referrals.referred[joined_in_window]
    welcome_at = world.created_s[welcome_owner] + rng.integers(
        HOUR, 14 * DAY, welcome_owner.shape[0]
    )
    in_window = welcome_at < w.end_s
    owner = np.concatenate([owner, welcome_owner[in_window]])
    at = np.concatenate([at, welcome_at[in_window]])
    referral = np.concatenate([referral, referrals.referral_number[joined_in_window][in_window]])
    is_welcome = referral > 0

    order = np.lexsort((owner, at))
    owner, at, referral, is_welcome = owner[order], at[order], referral[order], is_welcome[order]
    n = owner.shape[0]
    product = choice(rng, vocab.ORDER_PRODUCT_WEIGHTS, n)
    amount_eur = np.asarray(vocab.ORDER_MEDIAN_EUR)[product] * np.exp(rng.normal(0.0, 0.5, n))
    start_rate = np.asarray([vocab.FX_START[c] for c in vocab.CURRENCIES])
    amount = amount_eur / start_rate[world.currency[owner]]
    status = choice(rng, vocab.ORDER_STATUS_WEIGHTS, n)
    status = np.where(is_welcome, 0, status)  # the referral's purchase went through
    # completed: delivered within 3 days; cancelled within 2; refunded 5-30 days later
    delay = np.select(
        [status == 0, status == 1],
        [rng.integers(0, 3 * DAY, n), rng.integers(0, 2 * DAY, n)],
        default=rng.integers(5 * DAY, 30 * DAY, n),
    )
    updated = np.minimum(at + delay, w.end_s - 1)
    offset, width = world.shard.numbering.claim("billing_orders", n, 9)
    table = make_table(
        "billing_orders",
        updated // DAY,
        order_id=ids("ORD", offset + np.arange(1, n + 1), width),
        customer_id=world.ids_of(owner),
        ordered_at=timestamps(at),
        amount=money(amount),
        currency=pick(vocab.CURRENCIES, world.currency[owner]),
        channel=pick(vocab.ORDER_CHANNELS, choice(rng, vocab.ORDER_CHANNEL_WEIGHTS, n)),
        referral_id=referral_ids(referral, referrals.id_width, valid=referral > 0),
        status=pick(vocab.ORDER_STATUSES, status),
        updated_at=timestamps(updated),
    )
    return Orders(table, owner, at, product, status == 0)


def make_fx_rates(seed: int, window: Window) -> RawTable:
    """A daily random walk per currency around its start rate; EUR is 1.0 every day."""
    rng = rng_for(seed, "fx_rates")
    days = np.arange(window.start_day, window.end_day + 1)
    rows_currency, rows_day, rows_rate = [], [], []
    for i, code in enumerate(vocab.CURRENCIES):
        if code == "EUR":
            walk = np.ones(days.shape[0])
        else:
            walk = vocab.FX_START[code] * np.exp(np.cumsum(rng.normal(0.0, 0.004, days.shape[0])))
        rows_currency.append(np.full(days.shape[0], i))
        rows_day.append(days)
        rows_rate.append(np.round(walk, 6))
    currency = np.concatenate(rows_currency)
    day = np.concatenate(rows_day)
    order = np.lexsort((currency, day))
    currency, day, rate = currency[order], day[order], np.concatenate(rows_rate)[order]
    return make_table(
        "fx_rates",
        day,
        currency=pick(vocab.CURRENCIES, currency),
        rate_date=dates(day),
        rate_to_reporting=numbers(rate),
    )
