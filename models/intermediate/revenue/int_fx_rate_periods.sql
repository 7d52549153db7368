{#-
    Each fx rate with the days it applies to: from its rate_date up to (not including) the next
    rate_date of the same currency. An amount dated d converts with the rate of d or, when d has
    none, the latest rate before d. Range joins on [valid_from, valid_until) avoid ranking every
    amount against every earlier rate.

    The rate is a decimal from here on: amounts (decimal(18, 4)) times a double rate give a
    double, whose rounding to the amount's scale differs by engine (Postgres converts a double
    to numeric through 15 significant digits, DuckDB does not), so converted revenue differed
    in the last decimal between DuckDB and Postgres (tests/test_engine_parity.py, on the CDNOW
    buyers' USD orders). Decimal times decimal is exact: decimal(18, 4) x decimal(20, 10) still
    fits the 38 digits DuckDB and Spark cap a product at; 10 decimals keep a rate of 0.001
    (yen to euro) to 7 significant digits.
-#}

with

rates as (

    select
        currency,
        rate_date,
        cast(rate_to_reporting as decimal(20, 10)) as rate_to_reporting

    from {{ ref('stg_billing__fx_rates') }}
    where rate_to_reporting is not null

),

periods as (

    select
        currency,
        rate_date as valid_from,
        rate_to_reporting,
        lead(rate_date) over (partition by currency order by rate_date) as valid_until

    from rates

)

select * from periods
