"""Contracts (main, add-on, win-back) and referrals.

Every non-prospect has a main contract covering its whole relationship (customers.py draws
when it ends). Some add a second product; some churned customers come back with a win-back
contract (lifecycle `reactivated`). Referrers are picked as the most satisfied of three
earlier customers, so promoters refer more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.generate import vocab
from cx360.generate.columns import (
    DAY,
    HOUR,
    choice,
    dates,
    ids,
    money,
    pick,
    rng_for,
    timestamps,
)
from cx360.generate.customers import CUSTOMER_ID_WIDTH, YEAR_S, World
from cx360.generate.frame import RawTable, make_table

ADD_ON_SHARE = 0.20
WIN_BACK_SHARE = 0.08
UNCONVERTED_REFERRALS = 0.4  # per converted referral


@dataclass
class Contracts:
    table: RawTable
    owner: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray  # churn moment, possibly after the window
    fee: np.ndarray  # monthly fee in the customer's currency


def fee_in_currency(fee_eur: np.ndarray, currency: np.ndarray) -> np.ndarray:
    start_rate = np.asarray([vocab.FX_START[c] for c in vocab.CURRENCIES])
    return np.round(fee_eur / start_rate[currency], 2)


def make_contracts(seed: int, world: World) -> Contracts:
    rng = rng_for(seed, "crm_contracts", world.shard.index)
    w = world.window
    main = np.flatnonzero(~world.is_prospect)
    main_start, main_end = world.life_start_s[main], world.life_end_s[main]

    add_on = main[rng.random(main.shape[0]) < ADD_ON_SHARE]
    horizon = np.minimum(world.life_end_s[add_on], w.end_s) - world.life_start_s[add_on]
    add_start = world.life_start_s[add_on] + (rng.random(add_on.shape[0]) * horizon).astype(
        np.int64
    )
    add_life = (3.0 * YEAR_S * rng.weibull(0.8, add_on.shape[0])).astype(np.int64) + 30 * DAY
    add_end = np.minimum(world.life_end_s[add_on], add_start + add_life)
    lasts = add_end - add_start >= 30 * DAY  # an add-on taken just before churning is not one
    add_on, add_start, add_end = add_on[lasts], add_start[lasts], add_end[lasts]

    churned = main[(main_end < w.end_s - 60 * DAY)]
    back = churned[rng.random(churned.shape[0]) < WIN_BACK_SHARE]
    back_start = world.life_end_s[back] + rng.integers(30 * DAY, 365 * DAY, back.shape[0])
    keep = back_start < w.end_s
    back, back_start = back[keep], back_start[keep]
    back_life = 4.0 * YEAR_S * np.exp(0.6 * world.satisfaction[back])
    back_end = back_start + (back_life * rng.weibull(0.8, back.shape[0])).astype(np.int64)
    back_end += 30 * DAY

    owner = np.concatenate([main, add_on, back])
    start = np.concatenate([main_start, add_start, back_start])
    end = np.concatenate([main_end, add_end, back_end])
    kind = np.concatenate(
        [np.zeros(main.shape[0], int), np.ones(add_on.shape[0], int), np.full(back.shape[0], 2)]
    )
    order = np.lexsort((owner, start))
    owner, start, end, kind = owner[order], start[order], end[order], kind[order]
    n = owner.shape[0]

    product = choice(rng, vocab.PRODUCT_WEIGHTS, n)
    # an add-on is a second line or TV, never a second bundle
    product = np.where(kind == 1, rng.choice([0, 2], n), product)
    plan = choice(rng, vocab.PLAN_WEIGHTS, n)
    fee_eur = np.asarray(vocab.MONTHLY_FEE_EUR)[product, plan]
    fee_eur = fee_eur * np.where(world.segment[owner] == 1, vocab.BUSINESS_FEE_FACTOR, 1.0)
    fee = fee_in_currency(fee_eur, world.currency[owner])

    start_day = start // DAY
    end_day = end // DAY
    ended = end < w.end_s
    unhappy = world.satisfaction[owner] < -1.0
    suspended = ~ended & (rng.random(n) < np.where(unhappy, 0.08, 0.01))
    status = np.where(ended, 2, np.where(suspended, 1, 0))
    term_days = np.where(rng.random(n) < 0.6, 365, 730)
    ref_day = np.minimum(end_day, w.end_day)
    renewal = start_day + ((ref_day - start_day) // term_days + 1) * term_days
    suspended_at = w.end_s - (rng.random(n) * 60 * DAY).astype(np.int64)
    updated = np.where(
        ended,
        end + rng.integers(0, 6 * HOUR, n),
        np.where(suspended, np.maximum(suspended_at, start), start + rng.integers(0, HOUR, n)),
    )
    updated = np.minimum(updated, w.end_s - 1)
    offset, width = world.shard.numbering.claim("crm_contracts", n, 8)
    table = make_table(
        "crm_contracts",
        updated // DAY,
        contract_id=ids("K", offset + np.arange(1, n + 1), width),
        customer_id=world.ids_of(owner),
        product=pick(vocab.PRODUCTS, product),
        plan=pick(vocab.PLANS, plan),
        started_at=dates(start_day),
        ended_at=dates(end_day, valid=ended),
        renewal_due_at=dates(renewal, valid=~ended),
        monthly_fee=money(fee),
        currency=pick(vocab.CURRENCIES, world.currency[owner]),
        status=pick(vocab.CONTRACT_STATUSES, status),
        updated_at=timestamps(updated),
    )
    return Contracts(table, owner, start, end, fee)


@dataclass
class Referrals:
    table: RawTable
    referred: np.ndarray  # customers (shard index) that came through a referral
    referral_number: np.ndarray  # their referral's number (REF id), aligned with `referred`
    id_width: int  # digits of the REF ids (7 unless the run has more referrals)


def referral_ids(numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    return ids("REF", numbers, width, valid=valid)


def _best_of_three(
    rng: np.random.Generator, world: World, before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each bound, the most satisfied of three customers created before it (customers
    are numbered in creation order). Returns (referrer, has_candidate)."""
    candidates = (rng.random((before.shape[0], 3)) * np.maximum(before, 1)[:, None]).astype(int)
    best = np.argmax(world.satisfaction[candidates], axis=1)
    return candidates[np.arange(before.shape[0]), best], before > 0


def make_referrals(seed: int, world: World) -> Referrals:
    rng = rng_for(seed, "crm_referrals", world.shard.index)
    w = world.window
    referred = np.flatnonzero(world.channel == vocab.REFERRAL_CHANNEL)
    referrer, ok = _best_of_three(rng, world, referred)
    referred, referrer = referred[ok], referrer[ok]
    at = world.created_s[referred] - rng.integers(HOUR, 10 * DAY, referred.shape[0])

    lost = int(referred.shape[0] * UNCONVERTED_REFERRALS)
    lost_at = w.start_s + (rng.random(lost) * (w.end_s - w.start_s)).astype(np.int64)
    lost_referrer, ok = _best_of_three(
        rng, world, np.searchsorted(world.created_s, lost_at, side="left")
    )
    lost_at, lost_referrer = lost_at[ok], lost_referrer[ok]
    lost = lost_at.shape[0]

    all_at = np.concatenate([at, lost_at])
    all_referrer = np.concatenate([referrer, lost_referrer])
    all_referred = np.concatenate([referred, np.full(lost, -1)])
    order = np.argsort(all_at, kind="stable")
    all_at, all_referrer, all_referred = all_at[order], all_referrer[order], all_referred[order]
    offset, width = world.shard.numbering.claim("crm_referrals", all_at.shape[0], 7)
    number = offset + np.arange(1, all_at.shape[0] + 1)
    converted = all_referred >= 0
    # a referral that did not convert is known only by the friend's e-mail
    friend_email = pc.binary_join_element_wise(ids("friend", number, width), "@example.net", "")
    # customer number + 1 = the number in the id; 0 (a null id) for unconverted referrals
    referred_number = np.where(converted, all_referred + world.shard.first + 1, 0)
    table = make_table(
        "crm_referrals",
        all_at // DAY,
        referral_id=referral_ids(number, width),
        referrer_customer_id=world.ids_of(all_referrer),
        referred_customer_id=ids("C", referred_number, CUSTOMER_ID_WIDTH, valid=converted),
        referred_email=pc.if_else(pa.array(converted), None, friend_email),
        referred_at=timestamps(all_at),
    )
    return Referrals(table, all_referred[converted], number[converted], width)
