-- MetricFlow's day time spine (dbt 1.11 time_spine config in _semantic__models.yml): one row per
-- day from var time_spine_start_date for var time_spine_days days (at most 100,000). Built
-- from a cross join of digits so it needs no engine-specific series function.
{%- set start_date = "cast('" ~ var('time_spine_start_date') ~ "' as date)" %}

with

digits as (
    {%- for digit in range(10) %}
    select {{ digit }} as digit
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

day_numbers as (
    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands
)

select cast({{ dbt.dateadd('day', 'day_number', start_date) }} as date) as date_day
from day_numbers
where day_number < {{ var('time_spine_days') }}
