-- MetricFlow's day time spine (dbt 1.11 time_spine config in _semantic__models.yml): one row per
-- day from var time_spine_start_date for var time_spine_days days. Built from a cross join of
-- digits so it needs no engine-specific series function.
{%- set days = var('time_spine_days') | int %}
{%- set digit_count = (days | string) | length %}

with

digits as (
    {%- for digit in range(10) %}
    select {{ digit }} as digit
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

day_numbers as (
    select
        {%- for position in range(digit_count) %}
        d{{ position }}.digit * {{ 10 ** position }}{% if not loop.last %} +{% endif %}
        {%- endfor %} as day_number
    from digits as d0
    {%- for position in range(1, digit_count) %}
    cross join digits as d{{ position }}
    {%- endfor %}
)

select
    cast({{ dbt.dateadd('day', 'day_number', "cast('" ~ var('time_spine_start_date') ~ "' as date)") }}
        as date) as date_day
from day_numbers
where day_number < {{ days }}
