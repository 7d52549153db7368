{#-
    Every non-null value of the column is in the vocabulary the raw contract declares for
    `contract_column` ('table.column'): read from that raw source column's meta `values`, which
    tests/test_contract_sync.py keeps equal to cx360/contract/raw_contract.yml. The vocabulary is
    written in the contract only; staging tests point at it instead of copying it.
-#}
{% test accepted_contract_values(model, column_name, contract_column) %}

{%- set values = cx360_contract_values(contract_column) %}

select
    {{ column_name }} as value_field,
    count(*) as n_records
from {{ model }}
where
    {{ column_name }} is not null
    and {{ column_name }} not in (
        {%- for value in values %}'{{ value }}'{{ "," if not loop.last }}{% endfor -%}
    )
group by {{ column_name }}

{% endtest %}
