"""Customer shards: a big run is generated as consecutive slices of customers.

Every customer table (CRM, billing, surveys, tickets, interactions, ...) holds arrays per
row, so memory grows with the customer count. Above SHARD_CUSTOMERS the generator builds
the customers in shards of at most that size, one after the other, and keeps only what
describes the company (postal areas, incidents, staff, fx rates) for the whole run.

A shard knows where it sits in the run so its data stays globally consistent:
- its customers are numbers [first, first + size) of the run, so customer ids are unique;
- its random streams are its own (rng_for(..., shard=index)); shard 0 uses exactly the
  streams of an unsharded run, so a run of one shard is byte-identical to the generator
  before sharding existed;
- every other id (invoice, ticket, ...) continues where the previous shard's stopped
  (Numbering).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SHARD_CUSTOMERS = 1_000_000
# A shard projects the run's last id number from its own count: margin for the randomness
# of the later shards' counts, so a table's id width is decided once, at shard 0.
WIDTH_PROJECTION_MARGIN = 1.25


def _digits(number: int) -> int:
    return len(str(max(int(number), 0)))


@dataclass
class Numbering:
    """The id numbers of every table, continued across shards.

    `claim(table, count, width)` gives a shard the numbers offset+1 .. offset+count and the
    width to print them with: the table's usual width while the run's numbers fit it, wider
    only when they would not (so small runs keep their usual ids, and a big run does not
    fail on a fixed width). The width is decided at the first claim, from a projection of the
    whole run (`projection` = run customers / first shard's customers, with a margin), and
    only grows afterwards if the projection fell short.
    """

    projection: float = 1.0
    _next: dict[str, int] = field(default_factory=dict)
    _width: dict[str, int] = field(default_factory=dict)

    def claim(self, table: str, count: int, width: int) -> tuple[int, int]:
        offset = self._next.get(table, 0)
        last = offset + int(count)
        self._next[table] = last
        if table not in self._width:
            self._width[table] = max(width, _digits(math.ceil(last * self.projection)))
        self._width[table] = max(self._width[table], _digits(last))
        return offset, self._width[table]


@dataclass(frozen=True)
class Shard:
    """Customers [first, first + size) of a run of `total` customers, shard `index` of
    `count`. `numbering` is shared by all shards of the run."""

    index: int
    count: int
    first: int
    size: int
    total: int
    numbering: Numbering

    @property
    def label(self) -> str:
        """Progress prefix, e.g. 'shard 3/10: '; empty for a run of one shard."""
        return f"shard {self.index + 1}/{self.count}: " if self.count > 1 else ""

    def share_of(self, count: int) -> int:
        """This shard's part of `count` run-wide items, in proportion to its customers
        (the parts of all shards add up to `count`; one shard gets all of it)."""
        end = self.first + self.size
        return count * end // self.total - count * self.first // self.total


def split(customers: int, shard_customers: int) -> list[Shard]:
    """The shards of a run: consecutive, all of `shard_customers` but the last."""
    starts = range(0, customers, shard_customers)
    sizes = [min(shard_customers, customers - start) for start in starts]
    margin = WIDTH_PROJECTION_MARGIN if len(sizes) > 1 else 1.0
    numbering = Numbering(projection=customers / sizes[0] * margin)
    return [
        Shard(index, len(sizes), start, size, customers, numbering)
        for index, (start, size) in enumerate(zip(starts, sizes, strict=True))
    ]
