{#-
    Where each CRM customer stands on the as-of day, from contracts and purchases.

    Contract spells: contracts merged into continuous periods of coverage (a contract starting on
    or before the day the previous coverage ends continues the spell; ended_at is exclusive).
    has_running_contract: a contract still covers the day after the as-of day (see is_active).
    current_spell_number > 1 means the customer came back after a gap (input of the
    'reactivated' lifecycle stage).
    is_active: a running contract, or, for customers who follow the purchase model, a purchase
    coverage period (P(alive) above its threshold, int_customer_purchase_coverage), that still
    covers the customer once the as-of day is over (the day after it): the instant
    int_customer_months judges active_at_month_end, so customer_360's active count is the
    active_customers KPI of the as-of month, and a contract whose last day is the as-of day is
    churned, as at a month end (tests/dbt/assert_active_customers_agree_with_customer_360.sql).
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

customer_value as (

    select
        customer_id,
        acquired_at,
        first_purchase_at

    from {{ ref('int_customer_value') }}

),

contracts as (

    select
        contracts.customer_id,
        contracts.contract_id,
        contracts.started_at,
        contracts.renewal_due_at,
        contracts.ended_at,
        -- open contracts run "forever" for the renewal lookup
        coalesce(contracts.ended_at, cast('9999-12-31' as date)) as covered_until

    from {{ ref('stg_crm__contracts') }} as contracts
    cross join as_of
    where contracts.started_at <= as_of.as_of_date

),

spells as (

    {{ coverage_spells('contracts') }}

),

current_spells as (

    select
        spells.customer_id,
        spells.spell_number as current_spell_number,
        spells.covered_from as current_spell_started_at

    from spells
    cross join as_of
    where
        spells.covered_from <= as_of.as_of_date
        and cast(as_of.as_of_end as date) < spells.covered_until

),

last_coverage as (

    select
        customer_id,
        max(covered_until) as last_covered_until

    from spells
    group by customer_id

),

renewals as (

    select
        contracts.customer_id,
        min(contracts.renewal_due_at) as next_renewal_date

    from contracts
    cross join as_of
    where
        contracts.covered_until > as_of.as_of_date
        and contracts.renewal_due_at >= as_of.as_of_date
    group by contracts.customer_id

),

purchases as (

    select
        orders.customer_id,
        max(orders.ordered_at) as last_purchase_at

    from {{ ref('stg_billing__orders') }} as orders
    cross join as_of
    where orders.status = 'completed' and orders.ordered_at < as_of.as_of_end
    group by orders.customer_id

),

purchase_coverage as (

    select distinct coverage.customer_id

    from {{ ref('int_customer_purchase_coverage') }} as coverage
    cross join as_of
    where
        coverage.covered_from <= as_of.as_of_date
        and cast(as_of.as_of_end as date) < coverage.covered_until

),

status as (

    select
        customer_value.customer_id,
        customer_value.acquired_at,
        customer_value.first_purchase_at,
        purchases.last_purchase_at,
        current_spells.customer_id is not null as has_running_contract,
        current_spells.current_spell_number,
        current_spells.current_spell_started_at,
        renewals.next_renewal_date,
        (
            current_spells.customer_id is not null
            or purchase_coverage.customer_id is not null
        ) as is_active,
        -- last day the customer was active (a covered day or a purchase), for tenure
        case
            when current_spells.customer_id is not null then as_of.as_of_date
            when last_coverage.last_covered_until is null
                then cast(purchases.last_purchase_at as date)
            when purchases.last_purchase_at is null
                then cast({{ dbt.dateadd('day', -1, 'last_coverage.last_covered_until') }} as date)
            else greatest(
                cast({{ dbt.dateadd('day', -1, 'last_coverage.last_covered_until') }} as date),
                cast(purchases.last_purchase_at as date)
            )
        end as last_active_on

    from customer_value
    cross join as_of
    left join current_spells
        on customer_value.customer_id = current_spells.customer_id
    left join last_coverage
        on customer_value.customer_id = last_coverage.customer_id
    left join renewals
        on customer_value.customer_id = renewals.customer_id
    left join purchases
        on customer_value.customer_id = purchases.customer_id
    left join purchase_coverage
        on customer_value.customer_id = purchase_coverage.customer_id

)

select * from status
