{#-
    Each fx rate with the days it applies to: from its rate_date up to (not including) the next
    rate_date of the same currency. An amount dated d converts with the rate of d or, when d has
    none, the latest rate before d. Range joins on [valid_from, valid_until) avoid ranking every
    amount against every earlier rate.
-#}

with

rates as (

    select
        currency,
        rate_date,
        rate_to_reporting

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
