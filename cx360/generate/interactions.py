"""Interactions on every channel and touchpoint.

Four sources: everyday contacts (web/app sessions, calls, e-mails ...) over the customer's
relationship; an onboarding call when a contract starts; a retention call shortly before
most churns; follow-up contacts on open tickets (more on tickets that were reopened).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.generate import vocab
from cx360.generate.columns import (
    DAY,
    choice,
    explode,
    ids,
    integers,
    pick,
    rng_for,
    timestamps,
)
from cx360.generate.contracts import Contracts
from cx360.generate.customers import World
from cx360.generate.frame import RawTable, make_table
from cx360.generate.identity import identity_only_rows
from cx360.generate.support import Tickets

INTERACTIONS_PER_YEAR = 10.0
PROSPECT_INTERACTIONS_PER_YEAR = 3.0
RETENTION_CALL_SHARE = 0.6
IDENTITY_ONLY_SHARE = 0.04
CALL = vocab.INTERACTION_CHANNELS.index("call_center")
ONBOARDING = vocab.TOUCHPOINTS.index("onboarding")
RETENTION = vocab.TOUCHPOINTS.index("retention")
SUPPORT = vocab.TOUCHPOINTS.index("support")


def make_interactions(seed: int, world: World, contracts: Contracts, tickets: Tickets) -> RawTable:
    rng = rng_for(seed, "interactions", world.shard.index)
    w = world.window
    start, end = world.active_span()
    years = np.maximum(end - start, 0) / (365.25 * DAY)
    rate = np.where(world.is_prospect, PROSPECT_INTERACTIONS_PER_YEAR, INTERACTIONS_PER_YEAR)
    owner_a = explode(rng.poisson(rate * years))
    at_a = start[owner_a] + (rng.random(owner_a.shape[0]) * (end - start)[owner_a]).astype(np.int64)
    channel_a = choice(rng, vocab.INTERACTION_CHANNEL_WEIGHTS, owner_a.shape[0])
    touch_a = choice(rng, vocab.TOUCHPOINT_WEIGHTS, owner_a.shape[0])

    starts_in_window = (contracts.start_s >= w.start_s) & (contracts.start_s < w.end_s - DAY)
    owner_b = contracts.owner[starts_in_window]
    at_b = contracts.start_s[starts_in_window] + rng.integers(DAY, 5 * DAY, owner_b.shape[0])

    churns = (world.life_end_s > w.start_s + 30 * DAY) & (world.life_end_s < w.end_s)
    churns &= rng.random(world.n) < RETENTION_CALL_SHARE
    owner_c = np.flatnonzero(churns)
    at_c = world.life_end_s[owner_c] - rng.integers(3 * DAY, 30 * DAY, owner_c.shape[0])

    follow_ups = rng.poisson(np.where(tickets.reopened, 1.5, 0.3))
    ticket = explode(follow_ups)
    owner_d = tickets.owner[ticket]
    span = np.maximum(tickets.until_s[ticket] - tickets.opened_s[ticket], 1)
    at_d = tickets.opened_s[ticket] + (rng.random(ticket.shape[0]) * span).astype(np.int64)
    ticket_to_interaction_channel = np.asarray(
        [vocab.INTERACTION_CHANNELS.index(c) for c in vocab.TICKET_CHANNELS]
    )

    owner = np.concatenate([owner_a, owner_b, owner_c, owner_d])
    at = np.concatenate([at_a, at_b, at_c, at_d])
    channel = np.concatenate(
        [
            channel_a,
            np.full(owner_b.shape[0], CALL),
            np.full(owner_c.shape[0], CALL),
            ticket_to_interaction_channel[tickets.channel[ticket]],
        ]
    )
    touchpoint = np.concatenate(
        [
            touch_a,
            np.full(owner_b.shape[0], ONBOARDING),
            np.full(owner_c.shape[0], RETENTION),
            np.full(owner_d.shape[0], SUPPORT),
        ]
    )
    n_a, n_bc = owner_a.shape[0], owner_b.shape[0] + owner_c.shape[0]
    forced_outbound = np.concatenate(
        [np.zeros(n_a, bool), np.ones(n_bc, bool), np.zeros(owner_d.shape[0], bool)]
    )
    keep = (at >= w.start_s) & (at < w.end_s)
    owner, at, channel, touchpoint, forced_outbound = (
        a[keep] for a in (owner, at, channel, touchpoint, forced_outbound)
    )
    order = np.lexsort((owner, at))
    owner, at, channel, touchpoint, forced_outbound = (
        a[order] for a in (owner, at, channel, touchpoint, forced_outbound)
    )
    n = owner.shape[0]
    outbound = forced_outbound | (rng.random(n) < np.asarray(vocab.OUTBOUND_SHARE)[channel])
    median = np.asarray(vocab.MEDIAN_DURATION_S, dtype=float)[channel]
    duration = np.round(median * np.exp(rng.normal(0.0, 0.7, n))).astype(np.int64)
    outcome = choice(rng, vocab.OUTCOME_WEIGHTS, n)

    identity_only, contact_email, contact_phone = identity_only_rows(
        rng, world, owner, IDENTITY_ONLY_SHARE
    )
    offset, width = world.shard.numbering.claim("interactions", n, 10)
    return make_table(
        "interactions",
        at // DAY,
        interaction_id=ids("I", offset + np.arange(1, n + 1), width),
        customer_id=pc.if_else(pa.array(identity_only), None, world.ids_of(owner)),
        contact_email=contact_email,
        contact_phone=contact_phone,
        occurred_at=timestamps(at),
        channel=pick(vocab.INTERACTION_CHANNELS, channel),
        touchpoint=pick(vocab.TOUCHPOINTS, touchpoint),
        interaction_type=pick(vocab.INTERACTION_TYPES, channel),
        direction=pick(("inbound", "outbound"), outbound.astype(int)),
        duration_seconds=integers(duration, valid=median > 0),
        outcome=pick(vocab.OUTCOMES, outcome),
    )
