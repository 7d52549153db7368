{#-
    The 20/80 (Pareto) ranking, in one place (docs/kpis.md "One place per rule"): customers
    ordered by revenue, highest first, ties by customer_id (a stable order on every engine);
    the top var pareto_top_customer_share (0.2) of the ranked customers, rounded up, so any
    revenue has at least one top customer. Read by revenue_concentration (revenue of the last
    12 months) and int_kpi_revenue_share_top20 (revenue within each period). Value tiers are a
    different rule (ties share a tier): macro value_tiers.

      {{ pareto_order('revenue_12m') }}                    -> the window's order by
      row_number() over ({{ pareto_order('revenue') }})     -> the rank
      {{ is_pareto_top('revenue_rank', 'customers') }}      -> in the top share
-#}
{% macro pareto_order(revenue_column) -%}
    order by {{ revenue_column }} desc, customer_id asc
{%- endmacro %}


{% macro is_pareto_top(rank_column, customers_column) -%}
    {{ rank_column }} <= ceil({{ var('pareto_top_customer_share') }} * {{ customers_column }})
{%- endmacro %}
