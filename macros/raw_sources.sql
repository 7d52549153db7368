{#-
    Every raw contract table as [dbt source name, table name], in contract order. Models that
    loop over all raw tables (audit.row_reconciliation) use this one list;
    tests/test_contract_sync.py checks it against the contract.
-#}
{% macro cx360_raw_sources() -%}
    {{ return([
        ['crm', 'crm_customers'],
        ['crm', 'crm_contracts'],
        ['crm', 'crm_referrals'],
        ['billing', 'billing_invoices'],
        ['billing', 'billing_orders'],
        ['billing', 'fx_rates'],
        ['surveys', 'survey_definitions'],
        ['surveys', 'survey_responses'],
        ['surveys', 'employee_survey_responses'],
        ['support', 'support_tickets'],
        ['interactions', 'interactions'],
        ['network', 'network_incidents'],
        ['reviews', 'product_reviews'],
        ['marketing', 'marketing_spend'],
        ['privacy', 'erasure_requests'],
    ]) }}
{%- endmacro %}
