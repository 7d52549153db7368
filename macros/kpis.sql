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
      ci           95 % interval of value (ci_low, ci_high; docs/kpis.md "Confidence intervals"):
                     'wilson'   a proportion: numerator = successes, denominator = trials
                     'normal'   a mean of per-row values: each row with kpi_denominator 1 carries
                                its value in kpi_numerator (NPS: +1 / 0 / -1); the variance comes
                                from the per-row values (sum of squares), n = denominator
                     'poisson'  a count of events per exposure (complaints per customer)
                     none       no interval (counts, CAC, shares): ci_low and ci_high null
      data_start_at  column of `base` whose earliest day is where the KPI's data starts
                   (default period_at; models whose period_at is a period's first day pass the
                   real event time)
    Besides the fct_kpi columns the rows carry data_start_date, the KPI's first event day (its
    data starts there: int_kpis_stacked flags periods that start before it as incomplete).
    Sums are exact: every row is cast to decimal(38, 10) before it is summed, so the result does
    not depend on the order the engine adds rows in (doubles summed in parallel differ in the last
    digits from one build to the next).
-#}
{% macro kpi_facts(
    kpi_name,
    base,
    unit,
    dimensions=[],
    grains=none,
    multiplier=1,
    value_kind='ratio',
    ci=none,
    data_start_at='period_at'
) -%}
    {%- set grains = grains if grains is not none else var('kpi_period_grains') -%}
    {%- set double = cx360_type_double() -%}
    {%- if value_kind not in ('ratio', 'count') -%}
        {{ exceptions.raise_compiler_error("kpi_facts: value_kind must be ratio or count") }}
    {%- endif -%}
    {%- if ci not in (none, 'wilson', 'normal', 'poisson') or (ci and value_kind == 'count') -%}
        {{ exceptions.raise_compiler_error(
            "kpi_facts: ci must be none, wilson, normal or poisson (and none for counts)") }}
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
        {{ cx360_round('ci_low', 6) }} as ci_low,
        {{ cx360_round('ci_high', 6) }} as ci_high,
        sample_size,
        cast('{{ unit }}' as {{ dbt.type_string() }}) as unit,
        data_start_date
    from (
        {#-
            The events summed once per day and dimension value first: every slice below then
            reads this small relation instead of the event rows (a customer-month KPI has tens
            of millions). Exact: the measures are decimal sums, and week, month and quarter are
            unions of days. DuckDB computes a CTE read by several slices once.
        #}
        with kpi_events_by_day as (
            select
                cast(period_at as date) as period_day,
                {%- for dimension in dimensions %}
                {{ dimension }},
                {%- endfor %}
                sum({{ cx360_exact('kpi_numerator') }}) as kpi_numerator,
                {%- if value_kind == 'ratio' %}
                sum({{ cx360_exact('kpi_denominator') }}) as kpi_denominator,
                {%- endif %}
                {%- if ci == 'normal' %}
                sum({{ cx360_exact('kpi_numerator * kpi_numerator') }}) as kpi_numerator_sq,
                {%- endif %}
                sum(kpi_sample) as kpi_sample,
                min(cast({{ data_start_at }} as date)) as first_day
            from {{ base }}
            group by cast(period_at as date){% for dimension in dimensions %}, {{ dimension }}{% endfor %}
        ),

        kpi_data_start as (
            select min(first_day) as data_start_date
            from kpi_events_by_day
        ),

        kpi_slices as (
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
            {% if ci == 'normal' -%}
            cast(sum(kpi_numerator_sq) as {{ double }}) as numerator_sq,
            {%- else -%}
            cast(null as {{ double }}) as numerator_sq,
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
        )

        select
            kpi_slices.*,
            {{ kpi_confidence_interval(ci, multiplier) | indent(12) }},
            kpi_data_start.data_start_date
        from kpi_slices
        cross join kpi_data_start
    ) as sliced
{%- endmacro %}


{#-
    ci_low, ci_high: the 95 % interval (z = 1.96) of multiplier * numerator / denominator of a
    kpi_facts slice (columns numerator, denominator, numerator_sq), by method (kpi_facts `ci`):
      wilson   Wilson score interval of the proportion p = numerator / denominator, n =
               denominator: stays inside [0, 1] and is sensible for p near 0 or 1 and small n
      normal   mean +- z * s / sqrt(n), s the sample standard deviation of the per-row values
               (from the sum of squares); null below 2 rows
      poisson  (count +- z * sqrt(count)) / exposure, the low end cut at 0
    Null when the value is null (no denominator) or the method is none. fct_kpi cuts the interval
    to the KPI's registry scale (an NPS interval does not reach past 100); rounded to 6 decimals.
-#}
{% macro kpi_confidence_interval(method, multiplier=1) -%}
    {%- set double = cx360_type_double() -%}
    {%- set z = 1.96 -%}
    {%- set zz = '3.8416' -%}
    {%- set n = 'cast(denominator as ' ~ double ~ ')' -%}
    {%- set x = 'cast(numerator as ' ~ double ~ ')' -%}
    {%- if method == 'wilson' -%}
        {%- set p = '(' ~ x ~ ' / ' ~ n ~ ')' -%}
        {%- set centre = '(' ~ p ~ ' + ' ~ zz ~ ' / (2 * ' ~ n ~ ')) / (1 + ' ~ zz ~ ' / ' ~ n ~ ')' -%}
        {%- set half = z ~ ' * sqrt(greatest(' ~ p ~ ' * (1 - ' ~ p ~ '), 0) / ' ~ n ~ ' + '
            ~ zz ~ ' / (4 * ' ~ n ~ ' * ' ~ n ~ ')) / (1 + ' ~ zz ~ ' / ' ~ n ~ ')' -%}
        case when denominator > 0 then {{ multiplier }} * ({{ centre }} - {{ half }}) end as ci_low,
        case when denominator > 0 then {{ multiplier }} * ({{ centre }} + {{ half }}) end as ci_high
    {%- elif method == 'normal' -%}
        {%- set mean = '(' ~ x ~ ' / ' ~ n ~ ')' -%}
        {%- set variance = 'greatest((numerator_sq - ' ~ n ~ ' * ' ~ mean ~ ' * ' ~ mean ~ ') / ('
            ~ n ~ ' - 1), 0)' -%}
        {%- set half = z ~ ' * sqrt(' ~ variance ~ ' / ' ~ n ~ ')' -%}
        case when denominator >= 2 then {{ multiplier }} * ({{ mean }} - {{ half }}) end as ci_low,
        case when denominator >= 2 then {{ multiplier }} * ({{ mean }} + {{ half }}) end as ci_high
    {%- elif method == 'poisson' -%}
        case when denominator > 0 then {{ multiplier }} * greatest({{ x }} - {{ z }} * sqrt({{ x }}), 0)
            / {{ n }} end as ci_low,
        case when denominator > 0 then {{ multiplier }} * ({{ x }} + {{ z }} * sqrt({{ x }}))
            / {{ n }} end as ci_high
    {%- else -%}
        cast(null as {{ double }}) as ci_low,
        cast(null as {{ double }}) as ci_high
    {%- endif -%}
{%- endmacro %}


{#-
    A number rounded to a fixed count of decimals, as a double: the same on every engine and
    build (Postgres has no round(double, n); the decimal cast rounds half away from zero).
-#}
{% macro cx360_round(expression, decimals) -%}
    cast(cast({{ expression }} as decimal(38, {{ decimals }})) as {{ cx360_type_double() }})
{%- endmacro %}


{#-
    An exact decimal (38 digits, 10 after the point) of a number: summed, it gives the same
    result in any order of the rows, unlike a double. Ten decimals are far below any KPI's
    precision (a second is 0.0003 hours).
-#}
{% macro cx360_exact(expression) -%}
    cast({{ expression }} as decimal(38, 10))
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
