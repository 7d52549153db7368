{#-
    Fails with one row per combination of `combination_of_columns` that occurs more than once:
    uniqueness of a composite key (dbt's built-in `unique` takes one column).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

key_counts as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from key_counts
where occurrences > 1

{% endtest %}
