"""Fit time and peak memory of BG/NBD + Gamma-Gamma on a simulated 1 M-customer RFM summary.

    python benchmarks/purchase_model_1m.py --library lifetimes --customers 1000000
    python benchmarks/purchase_model_1m.py --library pymc-marketing --customers 1000000

The summary (frequency, recency, T in weeks, monetary value) is drawn from the BG/NBD and
Gamma-Gamma generative processes with CDNOW's published parameters, so both libraries fit the
same data and should recover the same parameters. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd

TRUE_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUE_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def simulate(customers: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(27.0, 39.0, customers)  # weeks since first purchase (CDNOW: 12-week cohort)
    lam = rng.gamma(TRUE_BGNBD["r"], 1.0 / TRUE_BGNBD["alpha"], customers)
    p = rng.beta(TRUE_BGNBD["a"], TRUE_BGNBD["b"], customers)
    frequency = np.zeros(customers, dtype=np.int64)
    recency = np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    now = np.zeros(customers)
    # repeat purchases: exponential gaps, drop out after each purchase with probability p
    for _ in range(200):
        gap = rng.exponential(1.0 / np.maximum(lam, 1e-12))
        nxt = now + gap
        buys = alive & (nxt < T)
        if not buys.any():
            break
        frequency[buys] += 1
        recency[buys] = nxt[buys]
        now = np.where(buys, nxt, now)
        alive = buys & (rng.uniform(size=customers) >= p)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["v"], customers)
    monetary = np.where(
        frequency > 0,
        rng.gamma(TRUE_GG["p"] * np.maximum(frequency, 1), 1.0 / nu) / np.maximum(frequency, 1),
        0.0,
    )
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary}
    )


def fit_lifetimes(rfm: pd.DataFrame) -> dict[str, float]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bg = BetaGeoFitter(penalizer_coef=0.0).fit(rfm["frequency"], rfm["recency"], rfm["T"])
    repeat = rfm[rfm["frequency"] > 0]
    gg = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])
    bg.conditional_expected_number_of_purchases_up_to_time(
        52, rfm["frequency"], rfm["recency"], rfm["T"]
    )
    bg.conditional_probability_alive(rfm["frequency"], rfm["recency"], rfm["T"])
    return {
        **{k: float(v) for k, v in bg.params_.items()},
        **{k: float(v) for k, v in gg.params_.items()},
    }


def fit_pymc(rfm: pd.DataFrame) -> dict[str, float]:
    """pymc-marketing 1.3: maximum a posteriori with the default priors (the fastest fit it
    offers; MCMC would be slower still)."""
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    data = rfm.assign(customer_id=np.arange(len(rfm)))
    bg = BetaGeoModel()
    bg.fit(data[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False)
    repeat = data[data["frequency"] > 0]
    gg = GammaGammaModel()
    gg.fit(repeat[["customer_id", "frequency", "monetary_value"]], method="map", progressbar=False)
    bg.expected_probability_alive()
    out = {}
    for model in (bg, gg):
        for name, values in model.fit_summary().items():
            out[str(name)] = float(np.asarray(values).mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=("lifetimes", "pymc-marketing"), required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    rfm = simulate(args.customers)
    simulated = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    params = fit_lifetimes(rfm) if args.library == "lifetimes" else fit_pymc(rfm)
    fitted = time.perf_counter() - started
    print(
        json.dumps(
            {
                "library": args.library,
                "customers": args.customers,
                "repeat_buyers": int((rfm["frequency"] > 0).sum()),
                "simulate_s": round(simulated, 1),
                "fit_and_predict_s": round(fitted, 1),
                "peak_rss_mib_before_fit": round(rss_before),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "params": {k: round(v, 4) for k, v in params.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
