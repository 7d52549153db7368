{#-
    Currency conversion to var reporting_currency, in one place (docs/kpis.md "One place per
    rule"). An amount dated d in currency c converts with the int_fx_rate_periods row of c whose
    [valid_from, valid_until) holds d (the rate of d, else the latest before it); the reporting
    currency itself converts at 1. No rate: null, and the caller quarantines the row
    (unconvertible_currency).

      left join {{ ref('int_fx_rate_periods') }} as fx
          on {{ fx_rate_applies('fx', 'lines.currency', 'cast(lines.paid_at as date)') }}
      ...
      {{ rate_to_reporting('lines.currency', 'fx') }} as rate_to_reporting
-#}
{% macro fx_rate_applies(fx_alias, currency_column, day_expression) -%}
    {{ currency_column }} = {{ fx_alias }}.currency
    and {{ currency_column }} != '{{ var("reporting_currency") }}'
    and {{ day_expression }} >= {{ fx_alias }}.valid_from
    and (
        {{ fx_alias }}.valid_until is null
        or {{ day_expression }} < {{ fx_alias }}.valid_until
    )
{%- endmacro %}


{% macro rate_to_reporting(currency_column, fx_alias) -%}
    case
        when {{ currency_column }} = '{{ var("reporting_currency") }}' then 1.0
        else {{ fx_alias }}.rate_to_reporting
    end
{%- endmacro %}
