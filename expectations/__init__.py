"""Great Expectations 1.x suites for cx360, defined in code, one module per subject.

    raw_sources   the raw landing contract: keys, vocabularies, ranges, no future timestamps
    volume        batch volume anomalies from audit.landed_batches
    marts         customer_360 one row per customer, fct_kpi value ranges
    context       the one function that builds the (ephemeral) GX context + Data Docs site
    results       running a suite on a batch and turning GX results into plain outcomes

Thresholds live in expectations/thresholds.yml. cx360.validation wires suites to a warehouse.
"""
