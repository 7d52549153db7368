{#-
    Post-hook of audit.revenue_quarantine_shares: raise (the build fails, nothing is published)
    when a quarantine reason took more than var revenue_quarantine_max_share of a revenue
    table's rows, with a message that names the reason and the way out.
-#}
{% macro cx360_block_on_revenue_quarantine(relation) %}
    {%- if execute -%}
        {%- set max_share = var('revenue_quarantine_max_share') -%}
        {%- set found = run_query(
            "select table_name, quarantine_reason, currency, quarantined_rows, table_rows, "
            ~ "share_of_table from " ~ relation ~ " where share_of_table > " ~ max_share
            ~ " order by share_of_table desc"
        ) -%}
        {%- set problems = [] -%}
        {%- for row in found.rows -%}
            {%- if row[1] == 'unconvertible_currency' -%}
                {%- set way_out = 'no fx rate ' ~ row[2] ~ '->' ~ var('reporting_currency')
                    ~ ': load fx_rates or set --reporting-currency ' ~ row[2] -%}
            {%- else -%}
                {%- set way_out = row[1] ~ ' (currency ' ~ row[2] ~ '): see audit.quarantine' -%}
            {%- endif -%}
            {%- do problems.append(
                way_out ~ ' (' ~ row[3] ~ ' of ' ~ row[4] ~ ' ' ~ row[0] ~ ' rows, '
                ~ (row[5] * 100) | round(1) ~ ' % > ' ~ (max_share * 100) | round(1) ~ ' %)'
            ) -%}
        {%- endfor -%}
        {%- if problems -%}
            {{ exceptions.raise_compiler_error(
                'revenue quarantined above var revenue_quarantine_max_share: '
                ~ problems | join('; ')
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1 as revenue_quarantine_checked
{% endmacro %}
