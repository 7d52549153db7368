{#-
    Which model each acquired customer follows (var business_model, docs/clv.md):
      'contract'  a contract started on or before the as-of day: activity is contract coverage,
                  predicted CLV the contractual retention model;
      'purchase'  no contract: activity and predicted CLV come from the purchase model
                  (BG/NBD + Gamma-Gamma, int_customer_purchase_coverage, int_customer_clv).
    business_model = subscription / transactional puts every customer on one side; auto and
    mixed decide per customer as above.
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

customers as (

    select customer_id

    from {{ ref('stg_crm__customers') }}

),

contract_holders as (

    select distinct contracts.customer_id

    from {{ ref('stg_crm__contracts') }} as contracts
    cross join as_of
    where contracts.started_at <= as_of.as_of_date

),

assigned as (

    select
        customers.customer_id,
        {% if var('business_model') == 'subscription' -%}
            'contract'
        {%- elif var('business_model') == 'transactional' -%}
            'purchase'
        {%- else -%}
        case when contract_holders.customer_id is not null then 'contract' else 'purchase' end
        {%- endif %} as follows

    from customers
    left join contract_holders
        on customers.customer_id = contract_holders.customer_id

)

select * from assigned
