{#-
    Every raw contract table with the staging model holding its current versions, as
    [dbt source name, table name, staging model]. audit.row_conservation loops over it;
    tests/test_reliability_conservation.py checks it covers every contract table.
-#}
{% macro cx360_staged_sources() -%}
    {{ return([
        ['crm', 'crm_customers', 'stg_crm__customers'],
        ['crm', 'crm_contracts', 'stg_crm__contracts'],
        ['crm', 'crm_referrals', 'stg_crm__referrals'],
        ['billing', 'billing_invoices', 'stg_billing__invoices'],
        ['billing', 'billing_orders', 'stg_billing__orders'],
        ['billing', 'fx_rates', 'stg_billing__fx_rates'],
        ['surveys', 'survey_definitions', 'stg_surveys__definitions'],
        ['surveys', 'survey_responses', 'stg_surveys__responses'],
        ['surveys', 'employee_survey_responses', 'stg_surveys__employee_responses'],
        ['support', 'support_tickets', 'stg_support__tickets'],
        ['interactions', 'interactions', 'stg_interactions__interactions'],
        ['network', 'network_incidents', 'stg_network__incidents'],
        ['reviews', 'product_reviews', 'stg_reviews__product_reviews'],
        ['marketing', 'marketing_spend', 'stg_marketing__spend'],
        ['privacy', 'erasure_requests', 'stg_privacy__erasure_requests'],
    ]) }}
{%- endmacro %}
