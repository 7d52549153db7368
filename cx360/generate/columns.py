"""Vectorised builders of Arrow columns in contract types, and the generator's time base.

Inside the generator time is plain numpy: timestamps are int64 seconds since the Unix epoch
(UTC), dates are int64 days since the epoch. Columns become Arrow arrays only here, so the
domain modules never loop over rows.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

DAY = 86_400
HOUR = 3_600

# Contract type -> Arrow type of the written column (parquet keeps these; CSV renders them).
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "decimal": pa.decimal128(18, 4),
    "numeric": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def rng_for(seed: int, domain: str, shard: int = 0) -> np.random.Generator:
    """An independent random stream per domain, so adding draws in one domain never
    changes the data of another (and the order domains run in does not matter).

    Each customer shard (shards.py) has its own streams; shard 0 keeps the key of an
    unsharded run, so runs of one shard give the same bytes as before sharding existed."""
    key = [seed, zlib.crc32(domain.encode())]
    if shard:
        key.append(shard)
    return np.random.default_rng(key)


@dataclass(frozen=True)
class Window:
    """The simulated period: `months` whole months ending on `end_day` (inclusive)."""

    start_day: int
    end_day: int

    @classmethod
    def ending(cls, end_date: np.datetime64, months: int) -> Window:
        end = np.datetime64(end_date, "D")
        first_month = end.astype("datetime64[M]") - (months - 1)
        return cls(
            int(first_month.astype("datetime64[D]").astype(np.int64)), int(end.astype(np.int64))
        )

    @property
    def start_s(self) -> int:
        return self.start_day * DAY

    @property
    def end_s(self) -> int:
        """First second after the window (exclusive bound)."""
        return (self.end_day + 1) * DAY

    @property
    def days(self) -> int:
        return self.end_day - self.start_day + 1


def _mask(valid: np.ndarray | None) -> np.ndarray | None:
    return None if valid is None else ~np.asarray(valid, dtype=bool)


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    micros = np.asarray(seconds, dtype=np.int64) * 1_000_000
    return pa.array(micros, type=pa.timestamp("us"), mask=_mask(valid))


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=_mask(valid))


def money(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Amounts rounded to cents, as DECIMAL(18,4) (exact sums downstream)."""
    cents = np.round(np.asarray(values, dtype=np.float64), 2)
    return pa.array(cents, type=pa.float64(), mask=_mask(valid)).cast(
        pa.decimal128(18, 4), safe=False
    )


def numbers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64(), mask=_mask(valid))


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=_mask(valid))


def booleans(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_(), mask=_mask(valid))


def fixed_width_strings(
    prefix: str, numbers_: np.ndarray, width: int, valid: np.ndarray | None = None
) -> pa.Array:
    """`prefix` + `numbers_` zero-padded to `width` digits, built as raw Arrow buffers: the
    digits come from integer arithmetic in numpy, no per-value string formatting."""
    values = np.asarray(numbers_, dtype=np.int64)
    n = values.shape[0]
    if n and (values.min() < 0 or values.max() >= 10**width):
        raise ValueError(f"numbers for {prefix!r} ids do not fit {width} digits")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = head.shape[0] + width
    # position-major (one contiguous row per character position), transposed once at the end
    chars = np.empty((size, n), dtype=np.uint8)
    chars[: head.shape[0]] = head[:, None]
    rest = values.astype(np.uint64 if width > 9 else np.uint32)
    quotient = np.empty_like(rest)
    for position in range(size - 1, head.shape[0] - 1, -1):
        np.floor_divide(rest, 10, out=quotient)
        chars[position] = rest - quotient * 10 + 48
        rest, quotient = quotient, rest
    chars = np.ascontiguousarray(chars.T)
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
    validity = None
    if valid is not None:
        validity = pa.array(np.asarray(valid, dtype=bool)).buffers()[1]
    return pa.Array.from_buffers(
        pa.string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())]
    )


def ids(prefix: str, numbers_: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """`prefix` + zero-padded number, e.g. ids("C", [7], 8) -> "C00000007"."""
    return fixed_width_strings(prefix, numbers_, width, valid)


def pick(vocabulary: Sequence[str], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Strings from a vocabulary by index, as a dictionary array: zero-copy to build, and
    parquet stores it dictionary-encoded anyway (readers see plain strings)."""
    indices = pa.array(np.asarray(index, dtype=np.int32), type=pa.int32(), mask=_mask(valid))
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocabulary), type=pa.string()))


def pick_plain(vocabulary: Sequence[str], index: np.ndarray) -> pa.Array:
    """Like pick, as a plain string array (for further string computation)."""
    return pa.array(list(vocabulary), type=pa.string()).take(
        pa.array(np.asarray(index, dtype=np.int64))
    )


def choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Indices 0..len(weights)-1 drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum())


def explode(counts: np.ndarray) -> np.ndarray:
    """Owner index per generated row: explode([2, 0, 1]) -> [0, 0, 2]."""
    return np.repeat(np.arange(counts.shape[0]), counts)


def score_on_scale(
    rng: np.random.Generator,
    latent: np.ndarray,
    scale_min: float,
    scale_max: float,
    noise: float = 0.8,
    skew: float = 0.35,
) -> np.ndarray:
    """Map a standard-normal-ish satisfaction to an integer answer on [min, max].

    The answer's quantile is Phi(z) ** skew: people answer high more often than low, so a
    0-10 scale gives about 44 % promoters and 27 % detractors at average satisfaction.
    """
    z = (latent + rng.normal(0.0, noise, latent.shape[0])) / np.sqrt(1.0 + noise**2)
    # logistic approximation of the normal CDF (max error 0.01): no scipy dependency
    quantile = (1.0 / (1.0 + np.exp(-1.702 * z))) ** skew
    points = scale_max - scale_min + 1
    return np.minimum(scale_min + np.floor(quantile * points), scale_max)
