"""Product reviews (after purchases) and marketing / sales spend per acquisition channel.

Spend follows the customers each channel actually brought in that day times the channel's
cost per acquisition, so a CAC computed from the raw data lands near vocab's costs. The
acquisitions are counted per customer shard and summed (`acquisitions`); the spend is drawn
once, from the run's total (`make_marketing_spend`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.generate import vocab
from cx360.generate.billing import Orders
from cx360.generate.columns import (
    DAY,
    Window,
    choice,
    dates,
    ids,
    money,
    numbers,
    pick,
    rng_for,
    score_on_scale,
    timestamps,
)
from cx360.generate.customers import World
from cx360.generate.frame import RawTable, make_table

REVIEW_SHARE = 0.15  # of completed orders
ANONYMOUS_SOURCES = (vocab.REVIEW_SOURCES.index("app_store"), vocab.REVIEW_SOURCES.index("social"))


def make_reviews(seed: int, world: World, orders: Orders) -> RawTable:
    rng = rng_for(seed, "product_reviews", world.shard.index)
    w = world.window
    reviewed = np.flatnonzero(orders.completed & (rng.random(orders.owner.shape[0]) < REVIEW_SHARE))
    owner = orders.owner[reviewed]
    posted = orders.ordered_s[reviewed] + rng.integers(2 * DAY, 30 * DAY, reviewed.shape[0])
    keep = posted < w.end_s
    reviewed, owner, posted = reviewed[keep], owner[keep], posted[keep]
    order = np.argsort(posted, kind="stable")
    reviewed, owner, posted = reviewed[order], owner[order], posted[order]
    n = owner.shape[0]
    rating = score_on_scale(rng, world.satisfaction[owner], 1, 5, noise=0.7, skew=0.5)
    source = choice(rng, vocab.REVIEW_SOURCE_WEIGHTS, n)
    anonymous = np.isin(source, ANONYMOUS_SOURCES)
    offset, width = world.shard.numbering.claim("product_reviews", n, 8)
    return make_table(
        "product_reviews",
        posted // DAY,
        review_id=ids("RV", offset + np.arange(1, n + 1), width),
        customer_id=pc.if_else(pa.array(anonymous), None, world.ids_of(owner)),
        product=pick(vocab.ORDER_PRODUCTS, orders.product[reviewed]),
        rating=numbers(rating),
        source=pick(vocab.REVIEW_SOURCES, source),
        posted_at=timestamps(posted),
        review_text=pick(vocab.REVIEW_TEXTS, (rating - 1).astype(int)),
    )


def acquisitions(world: World, window: Window) -> np.ndarray:
    """Customers of the shard who joined on each day of the window, per acquisition
    channel: an int array (days, channels); shards add theirs up."""
    days = window.days
    channels = len(vocab.ACQUISITION_CHANNELS)
    joined = (world.created_s >= window.start_s) & (world.created_s < window.end_s)
    day_index = (world.created_s[joined] // DAY - window.start_day).astype(np.int64)
    return np.bincount(
        day_index * channels + world.channel[joined], minlength=days * channels
    ).reshape(days, channels)


def make_marketing_spend(seed: int, acquired: np.ndarray, window: Window) -> RawTable:
    """Spend per day, channel and category for `acquired` (all shards' acquisitions)."""
    rng = rng_for(seed, "marketing_spend")
    days = window.days
    channels = len(vocab.ACQUISITION_CHANNELS)
    # spend leads acquisition a little and is smoother than it: a 7-day moving average
    kernel = np.ones(7) / 7
    smooth = np.stack(
        [np.convolve(acquired[:, c] + 0.2, kernel, mode="same") for c in range(channels)], axis=1
    )
    total = (
        smooth
        * np.asarray(vocab.ACQUISITION_COST_EUR)
        * np.exp(rng.normal(0.0, 0.25, (days, channels)))
    )
    sales_share = np.asarray(vocab.SALES_SHARE_OF_SPEND)
    amount = np.stack([total * (1 - sales_share), total * sales_share], axis=2)  # day, ch, cat
    day, channel, category = np.meshgrid(
        np.arange(days), np.arange(channels), np.arange(2), indexing="ij"
    )
    spend_day = window.start_day + day.ravel()
    n = spend_day.shape[0]
    return make_table(
        "marketing_spend",
        spend_day,
        spend_date=dates(spend_day),
        channel=pick(vocab.ACQUISITION_CHANNELS, channel.ravel()),
        category=pick(vocab.MARKETING_CATEGORIES, category.ravel()),
        amount=money(amount.ravel()),
        currency=pick(("EUR",), np.zeros(n, int)),
    )
