-- Marketing and sales spend in the reporting currency (var reporting_currency), at the fx rate
-- of the spend day or the latest one before it (int_fx_rate_periods, the rule revenue uses).
-- Spend that cannot be converted keeps a null amount and the reason `unconvertible_currency`
-- (audit.quarantine); cac uses the others.
with

spend as (
    select * from {{ ref('stg_marketing__spend') }}
),

fx_rate_periods as (
    select * from {{ ref('int_fx_rate_periods') }}
),

converted as (
    select
        spend.spend_date,
        spend.channel,
        spend.category,
        spend.amount,
        spend.currency,
        {{ rate_to_reporting('spend.currency', 'fx_rate_periods') }} as rate_to_reporting,
        spend._batch_name,
        spend._source_row
    from spend
    left join fx_rate_periods
        on {{ fx_rate_applies('fx_rate_periods', 'spend.currency', 'spend.spend_date') }}
),

final as (
    select
        spend_date,
        channel,
        category,
        amount,
        currency,
        rate_to_reporting,
        cast(amount as {{ cx360_type_double() }}) * rate_to_reporting as amount_reporting,
        case when rate_to_reporting is null then 'unconvertible_currency' end
            as quarantine_reason,
        _batch_name,
        _source_row
    from converted
)

select * from final
