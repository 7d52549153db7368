{#-
    Gaps and islands of coverage, in one place (docs/kpis.md "One place per rule"): the periods
    of a customer (contracts, purchase coverage) merged into disjoint spells of continuous
    coverage. A period covers [started_at, ended_at); ended_at null = open (the far-future
    sentinel). A period starting on or before the latest end of the earlier ones continues
    their spell (touching periods are one spell); otherwise it starts the next. Ties are broken
    by (started_at, covered_until) in both windows, with the sentinel in place of null, so the
    spells are the same on DuckDB, Postgres and Spark (whose null ordering differs).

      spells as ({{ coverage_spells('periods') }})

    `periods`: a relation or CTE with customer_id, started_at, ended_at. Returns customer_id,
    spell_number (1, 2, ... in time order), covered_from, covered_until (exclusive).
-#}
{% macro coverage_spells(periods) -%}
    {%- set open_end = "cast('9999-12-31' as date)" -%}
    select
        customer_id,
        spell_number,
        min(started_at) as covered_from,
        max(covered_until) as covered_until

    from (
        select
            customer_id,
            started_at,
            covered_until,
            sum(starts_spell) over (
                partition by customer_id
                order by started_at, covered_until
                rows between unbounded preceding and current row
            ) as spell_number

        from (
            select
                customer_id,
                started_at,
                coalesce(ended_at, {{ open_end }}) as covered_until,
                case
                    when
                        started_at <= max(coalesce(ended_at, {{ open_end }})) over (
                            partition by customer_id
                            order by started_at, coalesce(ended_at, {{ open_end }})
                            rows between unbounded preceding and 1 preceding
                        )
                        then 0
                    else 1
                end as starts_spell

            from {{ periods }}
        ) as flagged
    ) as numbered

    group by customer_id, spell_number
{%- endmacro %}
