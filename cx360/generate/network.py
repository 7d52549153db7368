"""Postal areas and network incidents.

Each area has a hidden `badness`: bad areas have many more incidents. Incident exposure
(severity x hours) lowers the satisfaction of the customers living there (see customers.py)
and incidents raise technical tickets in their area (see support.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cx360.generate import vocab
from cx360.generate.columns import (
    HOUR,
    Window,
    choice,
    explode,
    ids,
    integers,
    pick,
    rng_for,
    timestamps,
)
from cx360.generate.frame import RawTable, make_table


@dataclass
class Areas:
    postal_codes: list[str]
    cities: list[str]
    country: np.ndarray  # index into vocab.COUNTRIES
    weight: np.ndarray  # share of customers living there
    badness: np.ndarray  # standard normal; higher = worse network

    @property
    def count(self) -> int:
        return len(self.postal_codes)


@dataclass
class Incidents:
    table: RawTable
    area: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray  # end_s of ongoing incidents is the window end
    severity: np.ndarray
    exposure_z: np.ndarray  # per area: standardised log severity-hours, drives satisfaction


def make_areas(seed: int, customers: int) -> Areas:
    rng = rng_for(seed, "areas")
    per_city = int(np.clip(customers // 300 // len(vocab.FRENCH_CITIES), 1, 99))
    postal: list[str] = []
    cities: list[str] = []
    for district in range(per_city):
        for city, dept in vocab.FRENCH_CITIES:
            postal.append(f"{dept:02d}{(district + 1) * 10 % 1000:03d}")
            cities.append(city)
    french = len(postal)
    foreign_share = sum(a[3] for a in vocab.FOREIGN_AREAS)
    # bigger cities first: a Zipf-like weight keeps Paris busier than Brest
    city_rank = np.tile(np.arange(len(vocab.FRENCH_CITIES)), per_city)
    weight = list((1.0 - foreign_share) * (1 / (city_rank + 3)) / (1 / (city_rank + 3)).sum())
    country = [0] * french
    for code, zip_code, city, share in vocab.FOREIGN_AREAS:
        postal.append(zip_code)
        cities.append(city)
        weight.append(share)
        country.append(vocab.COUNTRIES.index(code))
    return Areas(
        postal_codes=postal,
        cities=cities,
        country=np.asarray(country),
        weight=np.asarray(weight) / np.sum(weight),
        badness=rng.normal(0.0, 1.0, len(postal)),
    )


def make_incidents(seed: int, areas: Areas, window: Window) -> Incidents:
    rng = rng_for(seed, "network_incidents")
    years = window.days / 365.25
    rate = 2.0 * np.exp(1.2 * areas.badness) * years
    area = explode(rng.poisson(rate))
    n = area.shape[0]
    start = window.start_s + (rng.random(n) * (window.end_s - window.start_s)).astype(np.int64)
    severity = choice(rng, vocab.SEVERITY_WEIGHTS, n) + 1
    median_h = np.asarray(vocab.MEDIAN_INCIDENT_HOURS)[severity - 1]
    duration = (median_h * np.exp(rng.normal(0.0, 0.6, n)) * HOUR).astype(np.int64) + 600
    end = start + duration
    ongoing = end >= window.end_s
    order = np.argsort(start, kind="stable")
    area, start, end, severity, ongoing = (a[order] for a in (area, start, end, severity, ongoing))
    landed = np.where(ongoing, start, end) // 86_400
    table = make_table(
        "network_incidents",
        landed,
        incident_id=ids("NI", np.arange(1, n + 1), 7),
        postal_code=pick(areas.postal_codes, area),
        started_at=timestamps(start),
        ended_at=timestamps(end, valid=~ongoing),
        severity=integers(severity),
        incident_type=pick(vocab.INCIDENT_TYPES, choice(rng, vocab.INCIDENT_TYPE_WEIGHTS, n)),
    )
    end_clipped = np.minimum(end, window.end_s)
    severity_hours = np.bincount(
        area, weights=severity * (end_clipped - start) / HOUR, minlength=areas.count
    )
    log_exposure = np.log1p(severity_hours / years)
    exposure_z = (log_exposure - log_exposure.mean()) / max(log_exposure.std(), 1e-9)
    return Incidents(table, area, start, end_clipped, severity, exposure_z)
