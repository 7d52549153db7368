{#-
    Building blocks of the KPI facts (fct_kpi, docs/kpis.md). Every KPI model
    prepares one row per event (answer, ticket, customer-month, purchase...) carrying

        period_at          timestamp or date of the event, already in the reporting time zone
        <dimension cols>   one column per dimension the KPI is cut by (segment, channel, ...)
        kpi_numerator      the row's contribution to the numerator
        kpi_denominator    the row's contribution to the denominator (null for pure counts)
        kpi_sample         1 when the row counts in sample_size (answers, customers, tickets)

    and `kpi_facts` turns it into the conformed rows: one per grain x dimension x value.
-#}


{#-
    The fct_kpi rows of one KPI.
      kpi_name     name from kpis.md
      base         relation or CTE name holding the event rows described above
      unit         score | percent | hours | currency | count | points
      dimensions   dimension columns of `base`; 'overall' is always added
      grains       period grains; default var('kpi_period_grains'). 'all' = all the data
      multiplier   value = multiplier * numerator / denominator (100 for percent, 1000 per mille)
      value_kind   'ratio' (value null when denominator is 0 or null) or 'count' (value =
                   numerator, denominator null): counts have nothing to divide by
-#}
{% macro kpi_facts(
    kpi_name,
    base,
    unit,
    dimensions=[],
    grains=none,
    multiplier=1,
    value_kind='ratio'
) -%}
    {%- set grains = grains if grains is not none else var('kpi_period_grains') -%}
    {%- set double = cx360_type_double() -%}
    {%- if value_kind not in ('ratio', 'count') -%}
        {{ exceptions.raise_compiler_error("kpi_facts: value_kind must be ratio or count") }}
    {%- endif -%}
    {%- set slices = [] -%}
    {%- for grain in grains -%}
        {%- for dimension in ['overall'] + dimensions -%}
            {%- do slices.append((grain, dimension)) -%}
        {%- endfor -%}
    {%- endfor %}
    select
        kpi_name,
        period_grain,
        period_start,
        dimension_name,
        dimension_value,
        numerator,
        denominator,
        {% if value_kind == 'count' -%}
        numerator as value,
        {%- else -%}
        {{ kpi_ratio('numerator', 'denominator', multiplier) }} as value,
        {%- endif %}
        sample_size,
        cast('{{ unit }}' as {{ dbt.type_string() }}) as unit
    from (
        {#-
            The events summed once per day and dimension value first: every slice below then
            reads this small relation instead of the event rows (a customer-month KPI has tens
            of millions). Exact: the measures are sums, and week, month and quarter are unions
            of days. DuckDB computes a CTE read by several slices once.
        #}
        with kpi_events_by_day as (
            select
                cast(period_at as date) as period_day,
                {%- for dimension in dimensions %}
                {{ dimension }},
                {%- endfor %}
                sum(kpi_numerator) as kpi_numerator,
                {%- if value_kind == 'ratio' %}
                sum(kpi_denominator) as kpi_denominator,
                {%- endif %}
                sum(kpi_sample) as kpi_sample
            from {{ base }}
            group by cast(period_at as date){% for dimension in dimensions %}, {{ dimension }}{% endfor %}
        )
        {%- for grain, dimension in slices %}
        {%- set period_start = kpi_period_start(grain, 'period_day') %}
        {%- set dimension_value = "'all'" if dimension == 'overall'
            else "coalesce(cast(" ~ dimension ~ " as " ~ dbt.type_string() ~ "), 'unknown')" %}
        select
            cast('{{ kpi_name }}' as {{ dbt.type_string() }}) as kpi_name,
            cast('{{ grain }}' as {{ dbt.type_string() }}) as period_grain,
            {{ period_start }} as period_start,
            cast('{{ dimension }}' as {{ dbt.type_string() }}) as dimension_name,
            cast({{ dimension_value }} as {{ dbt.type_string() }}) as dimension_value,
            cast(sum(kpi_numerator) as {{ double }}) as numerator,
            {% if value_kind == 'count' -%}
            cast(null as {{ double }}) as denominator,
            {%- else -%}
            cast(sum(kpi_denominator) as {{ double }}) as denominator,
            {%- endif %}
            cast(coalesce(sum(kpi_sample), 0) as {{ dbt.type_bigint() }}) as sample_size
        from kpi_events_by_day
        {%- set group_cols = [] %}
        {%- if grain != 'all' %}{% do group_cols.append(period_start) %}{% endif %}
        {%- if dimension != 'overall' %}{% do group_cols.append(dimension_value) %}{% endif %}
        {%- if group_cols %}
        group by {{ group_cols | join(', ') }}
        {%- else %}
        {#- one row for all the data, even when there is none: value null, sample 0 #}
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as sliced
{%- endmacro %}


{#- numerator / denominator scaled, null (never an error) when the denominator is 0 or null. -#}
{% macro kpi_ratio(numerator, denominator, multiplier=1) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else {{ multiplier }} * cast({{ numerator }} as {{ cx360_type_double() }})
            / cast({{ denominator }} as {{ cx360_type_double() }})
    end
{%- endmacro %}


{#- First day (a date) of the period holding `expression`; null for grain 'all'. -#}
{% macro kpi_period_start(grain, expression) -%}
    {%- if grain == 'all' -%}
        cast(null as date)
    {%- elif grain in ('day', 'week', 'month', 'quarter', 'year') -%}
        cast({{ dbt.date_trunc(grain, expression) }} as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("kpi_period_start: unknown grain '" ~ grain ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#-
    A UTC timestamp (the raw contract stores UTC) as wall-clock time in var reporting_timezone,
    so that days, weeks and months are those of the business. UTC needs no conversion.
-#}
{% macro to_reporting_time(expression) -%}
    {%- set time_zone = var('reporting_timezone', 'UTC') -%}
    {%- if time_zone | upper == 'UTC' -%}
        {{ expression }}
    {%- else -%}
        {{ return(adapter.dispatch('to_reporting_time', 'cx360')(expression, time_zone)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__to_reporting_time(expression, time_zone) -%}
    cast((({{ expression }}) at time zone 'UTC') at time zone '{{ time_zone }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro spark__to_reporting_time(expression, time_zone) -%}
    from_utc_timestamp({{ expression }}, '{{ time_zone }}')
{%- endmacro %}


{#- 1 when the condition holds, else 0: event flags summed into numerators. -#}
{% macro kpi_flag(condition) -%}
    case when {{ condition }} then 1 else 0 end
{%- endmacro %}


{#- Hours (8-byte float, fractions kept) from one timestamp to a later one; null if either is. -#}
{% macro hours_between(start_expression, end_expression) -%}
    cast({{ dbt.datediff(start_expression, end_expression, 'second') }} as {{ cx360_type_double() }})
        / 3600.0
{%- endmacro %}
