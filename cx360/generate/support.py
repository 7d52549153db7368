"""Staff (agents and departments) and support tickets.

Tickets come from two sources: a baseline that unhappy customers raise more often, and
network incidents, which make customers of the affected postal area call in (technical
tickets and complaints, high priority for severe incidents).
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
    explode,
    ids,
    integers,
    pick,
    rng_for,
    timestamps,
)
from cx360.generate.customers import World
from cx360.generate.frame import RawTable, make_table
from cx360.generate.identity import identity_only_rows
from cx360.generate.network import Incidents

BASELINE_TICKETS_PER_YEAR = 0.5
INCIDENT_CALL_RATE = 0.004  # per customer of the area and per severity point
IDENTITY_ONLY_SHARE = 0.06
RESOLUTION_MEDIAN_H = (48.0, 24.0, 30.0, 4.0, 12.0)  # by category


@dataclass
class Staff:
    department: np.ndarray  # per employee, index into vocab.DEPARTMENTS
    slowness: np.ndarray  # per employee: standard normal, slower agents answer later
    department_morale: np.ndarray  # per department

    @property
    def count(self) -> int:
        return self.department.shape[0]

    def employee_ids(self, numbers: np.ndarray) -> pa.Array:
        return ids("E", numbers + 1, 6)


def make_staff(seed: int, customers: int) -> Staff:
    rng = rng_for(seed, "staff")
    n = max(24, customers // 300)
    department = choice(rng, vocab.DEPARTMENT_WEIGHTS, n)
    department[: len(vocab.DEPARTMENTS)] = np.arange(len(vocab.DEPARTMENTS))  # none empty
    return Staff(
        department=department,
        slowness=rng.normal(0.0, 1.0, n),
        department_morale=rng.normal(0.0, 0.7, len(vocab.DEPARTMENTS)),
    )


@dataclass
class Tickets:
    table: RawTable
    owner: np.ndarray
    opened_s: np.ndarray
    until_s: np.ndarray  # resolution, or the window end while unresolved
    channel: np.ndarray
    reopened: np.ndarray
    identity_only: np.ndarray


def _incident_callers(
    rng: np.random.Generator, world: World, incidents: Incidents
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, opened_s, severity) of tickets raised by incidents in the caller's area."""
    by_area = np.argsort(world.area, kind="stable")
    # every area an incident hit, even one where nobody of this shard lives (a small shard)
    areas = max(int(world.area.max(initial=-1)), int(incidents.area.max(initial=-1))) + 1
    per_area = np.bincount(world.area, minlength=areas)
    offset = np.cumsum(per_area) - per_area
    residents = per_area[incidents.area]
    calls = rng.binomial(residents, np.minimum(INCIDENT_CALL_RATE * incidents.severity, 1.0))
    incident = explode(calls)
    pos = offset[incidents.area[incident]] + (
        rng.random(incident.shape[0]) * residents[incident]
    ).astype(np.int64)
    caller = by_area[pos]
    span = incidents.end_s[incident] - incidents.start_s[incident] + 6 * HOUR
    opened = incidents.start_s[incident] + (rng.random(incident.shape[0]) * span).astype(np.int64)
    keep = world.alive_at(caller, opened) & (opened < world.window.end_s)
    return caller[keep], opened[keep], incidents.severity[incident][keep]


def make_tickets(seed: int, world: World, incidents: Incidents, staff: Staff) -> Tickets:
    rng = rng_for(seed, "support_tickets", world.shard.index)
    w = world.window
    start, end = world.active_span()
    years = np.maximum(end - start, 0) / (365.25 * DAY)
    rate = BASELINE_TICKETS_PER_YEAR * years * np.exp(-0.4 * world.satisfaction)
    base_owner = explode(rng.poisson(rate))
    base_opened = start[base_owner] + (
        rng.random(base_owner.shape[0]) * (end - start)[base_owner]
    ).astype(np.int64)
    inc_owner, inc_opened, inc_severity = _incident_callers(rng, world, incidents)

    owner = np.concatenate([base_owner, inc_owner])
    opened = np.concatenate([base_opened, inc_opened])
    severity = np.concatenate([np.zeros(base_owner.shape[0], int), inc_severity])
    order = np.lexsort((owner, opened))
    owner, opened, severity = owner[order], opened[order], severity[order]
    n = owner.shape[0]
    from_incident = severity > 0

    category = np.where(
        from_incident,
        np.where(rng.random(n) < 0.15, 0, 1),
        choice(rng, vocab.TICKET_CATEGORY_WEIGHTS, n),
    )
    priority = np.where(
        from_incident,
        np.clip(severity - 1 + rng.integers(0, 2, n), 0, 3),
        choice(rng, vocab.PRIORITY_WEIGHTS, n),
    )
    channel = choice(rng, vocab.TICKET_CHANNEL_WEIGHTS, n)
    handlers = np.flatnonzero(np.isin(staff.department, vocab.TICKET_DEPARTMENTS))
    agent = handlers[rng.integers(0, handlers.shape[0], n)]

    first_h = np.asarray(vocab.FIRST_RESPONSE_MEDIAN_H)[priority] * np.exp(
        rng.normal(0.0, 0.7, n) + 0.3 * staff.slowness[agent]
    )
    first = opened + (first_h * HOUR).astype(np.int64) + 60
    resolve_h = np.asarray(RESOLUTION_MEDIAN_H)[category] * np.exp(rng.normal(0.0, 0.8, n))
    resolved = first + (resolve_h * HOUR).astype(np.int64)
    closed = resolved + rng.integers(DAY, 7 * DAY, n)
    has_first = first < w.end_s
    is_resolved = resolved < w.end_s
    is_closed = closed < w.end_s
    # 0 new, 1 open, 2 pending, 3 solved, 4 closed
    status = np.select(
        [~has_first, ~is_resolved, ~is_closed],
        [0, np.where(rng.random(n) < 0.7, 1, 2), 3],
        default=4,
    )
    reopen = rng.poisson(np.where(world.satisfaction[owner] < -1.0, 0.35, 0.08))
    updated = np.select(
        [is_closed, is_resolved, has_first], [closed, resolved, first], default=opened
    )

    identity_only, requester_email, requester_phone = identity_only_rows(
        rng, world, owner, IDENTITY_ONLY_SHARE
    )
    offset, width = world.shard.numbering.claim("support_tickets", n, 9)
    table = make_table(
        "support_tickets",
        updated // DAY,
        ticket_id=ids("T", offset + np.arange(1, n + 1), width),
        customer_id=pc.if_else(pa.array(identity_only), None, world.ids_of(owner)),
        requester_email=requester_email,
        requester_phone=requester_phone,
        channel=pick(vocab.TICKET_CHANNELS, channel),
        category=pick(vocab.TICKET_CATEGORIES, category),
        priority=pick(vocab.PRIORITIES, priority),
        opened_at=timestamps(opened),
        first_response_at=timestamps(first, valid=has_first),
        resolved_at=timestamps(resolved, valid=is_resolved),
        closed_at=timestamps(closed, valid=is_closed),
        status=pick(vocab.TICKET_STATUSES, status),
        reopen_count=integers(np.where(is_resolved, reopen, 0)),
        agent_id=pc.if_else(pa.array(has_first), staff.employee_ids(agent), None),
        updated_at=timestamps(updated),
    )
    return Tickets(
        table=table,
        owner=owner,
        opened_s=opened,
        until_s=np.where(is_resolved, resolved, w.end_s),
        channel=channel,
        reopened=is_resolved & (reopen > 0),
        identity_only=identity_only,
    )
