{#-
    How survey answers, tickets and interactions found their customer (int_touchpoints_stitched):
    rows and share of the source's rows per attribution_rule, unknown_customer (quarantined)
    included so that the shares of a source add up to 1.
-#}

with

rule_counts as (

    select
        source,
        attribution_rule,
        count(*) as row_count

    from {{ ref('int_touchpoints_stitched') }}
    group by source, attribution_rule

),

match_rates as (

    select
        cast(source as {{ dbt.type_string() }}) as source,
        cast(attribution_rule as {{ dbt.type_string() }}) as attribution_rule,
        -- `rows` and `share`: the column names of the spec, keywords or not
        cast(row_count as {{ dbt.type_bigint() }}) as rows,  -- noqa: RF04
        cast(
            1.0 * row_count / sum(row_count) over (partition by source)
            as {{ cx360_type_double() }}
        ) as share  -- noqa: RF04

    from rule_counts

)

select * from match_rates
