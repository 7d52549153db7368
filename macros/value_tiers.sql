{#-
    The value tier rule (the 20/80 ranking of customer_360.value_tier), in one place: customers
    ranked by revenue_12m within each partition; share_ranked_above = share of the partition's
    customers with positive revenue ranked strictly above the customer (ties share a rank); the
    tier is the first of seed value_tier_thresholds whose max_share_ranked_above exceeds it
    (top_20 below 0.20, next_30 below 0.50, rest). Customers without positive revenue are rest.

      relation      relation or CTE with key_columns, partition_by columns and revenue_12m
      key_columns   columns that identify a row within its partition (customer_id)
      partition_by  columns the ranking restarts for (month_start for the tier of each month)

    Returns a select of key_columns, partition_by and value_tier, one row per input row.
-#}
{% macro value_tiers(relation, key_columns=['customer_id'], partition_by=[]) -%}
    {%- set partition_clause = partition_by | join(', ') -%}
    {%- set all_keys = key_columns + partition_by -%}
    with

    value_tier_ranked as (
        select
            {%- for column in all_keys %}
            {{ column }},
            {%- endfor %}
            case
                when revenue_12m > 0
                    then (
                        rank() over (
                            partition by {% if partition_by %}{{ partition_clause }}, {% endif -%}
                            case when revenue_12m > 0 then 1 else 0 end
                            order by revenue_12m desc
                        ) - 1
                    ) * 1.0
                    / sum(case when revenue_12m > 0 then 1 else 0 end) over (
                        {%- if partition_by %}partition by {{ partition_clause }}{% endif -%}
                    )
                else 1.0
            end as share_ranked_above
        from {{ relation }}
    ),

    value_tier_thresholds as (
        select
            value_tier,
            max_share_ranked_above,
            max(max_share_ranked_above) over () as top_threshold
        from {{ ref('value_tier_thresholds') }}
    ),

    value_tier_candidates as (
        select
            {%- for column in all_keys %}
            value_tier_ranked.{{ column }},
            {%- endfor %}
            value_tier_thresholds.value_tier,
            row_number() over (
                partition by
                    {%- for column in all_keys %}
                    value_tier_ranked.{{ column }}{% if not loop.last %},{% endif %}
                    {%- endfor %}
                order by value_tier_thresholds.max_share_ranked_above
            ) as tier_order
        from value_tier_ranked
        inner join value_tier_thresholds
            on
                value_tier_ranked.share_ranked_above < value_tier_thresholds.max_share_ranked_above
                -- the last tier takes everybody left, including customers without revenue
                or value_tier_thresholds.max_share_ranked_above = value_tier_thresholds.top_threshold
    )

    select
        {%- for column in all_keys %}
        {{ column }},
        {%- endfor %}
        value_tier
    from value_tier_candidates
    where tier_order = 1
{%- endmacro %}


{#-
    The tier of customers without positive revenue in the ranked window (the last tier of seed
    value_tier_thresholds): what a customer without a row in int_customer_value_tiers_monthly
    had in that month.
-#}
{% macro value_tier_unranked() -%}
    (
        select min(value_tier) from {{ ref('value_tier_thresholds') }}
        where max_share_ranked_above = (
            select max(max_share_ranked_above) from {{ ref('value_tier_thresholds') }}
        )
    )
{%- endmacro %}
