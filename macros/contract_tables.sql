{#- Generated from cx360/contract/raw_contract.yml by `python -m cx360.contract_sources
    --write`: edit the contract, not this file (cx360/contract_sources.py says what
    each macro holds and who reads it). -#}
{% macro cx360_contract_table(name) -%}
    {%- set tables = {
        'crm_customers': {
            'key': ['customer_id'],
            'ordered_by': 'updated_at',
            'columns': [
                ['customer_id', 'string', 'text'],
                ['email', 'string', 'email'],
                ['phone', 'string', 'phone'],
                ['first_name', 'string', 'text'],
                ['last_name', 'string', 'text'],
                ['birth_date', 'date', 'cast'],
                ['postal_code', 'string', 'text'],
                ['city', 'string', 'text'],
                ['country', 'string', 'iso_code'],
                ['segment', 'string', 'code'],
                ['acquisition_channel', 'string', 'code'],
                ['created_at', 'timestamp', 'cast'],
                ['marketing_consent', 'bool', 'cast'],
                ['updated_at', 'timestamp', 'cast'],
            ],
        },
        'crm_contracts': {
            'key': ['contract_id'],
            'ordered_by': 'updated_at',
            'columns': [
                ['contract_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['product', 'string', 'text'],
                ['plan', 'string', 'text'],
                ['started_at', 'date', 'cast'],
                ['ended_at', 'date', 'cast'],
                ['renewal_due_at', 'date', 'cast'],
                ['monthly_fee', 'decimal', 'cast'],
                ['currency', 'string', 'iso_code'],
                ['status', 'string', 'code'],
                ['updated_at', 'timestamp', 'cast'],
            ],
        },
        'crm_referrals': {
            'key': ['referral_id'],
            'ordered_by': none,
            'columns': [
                ['referral_id', 'string', 'text'],
                ['referrer_customer_id', 'string', 'text'],
                ['referred_customer_id', 'string', 'text'],
                ['referred_email', 'string', 'email'],
                ['referred_at', 'timestamp', 'cast'],
            ],
        },
        'billing_invoices': {
            'key': ['invoice_id'],
            'ordered_by': 'updated_at',
            'columns': [
                ['invoice_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['contract_id', 'string', 'text'],
                ['issued_at', 'date', 'cast'],
                ['due_at', 'date', 'cast'],
                ['amount', 'decimal', 'cast'],
                ['currency', 'string', 'iso_code'],
                ['status', 'string', 'code'],
                ['paid_at', 'timestamp', 'cast'],
                ['updated_at', 'timestamp', 'cast'],
            ],
        },
        'billing_orders': {
            'key': ['order_id'],
            'ordered_by': 'updated_at',
            'columns': [
                ['order_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['ordered_at', 'timestamp', 'cast'],
                ['amount', 'decimal', 'cast'],
                ['currency', 'string', 'iso_code'],
                ['channel', 'string', 'code'],
                ['referral_id', 'string', 'text'],
                ['status', 'string', 'code'],
                ['updated_at', 'timestamp', 'cast'],
            ],
        },
        'fx_rates': {
            'key': ['currency', 'rate_date'],
            'ordered_by': none,
            'columns': [
                ['currency', 'string', 'iso_code'],
                ['rate_date', 'date', 'cast'],
                ['rate_to_reporting', 'numeric', 'cast'],
            ],
        },
        'survey_definitions': {
            'key': ['survey_id', 'question_id'],
            'ordered_by': none,
            'columns': [
                ['survey_id', 'string', 'text'],
                ['question_id', 'string', 'text'],
                ['survey_type', 'string', 'code'],
                ['question_text', 'string', 'text'],
                ['scale_min', 'numeric', 'cast'],
                ['scale_max', 'numeric', 'cast'],
                ['pillar', 'string', 'code'],
            ],
        },
        'survey_responses': {
            'key': ['response_id', 'question_id'],
            'ordered_by': none,
            'columns': [
                ['response_id', 'string', 'text'],
                ['survey_id', 'string', 'text'],
                ['question_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['respondent_email', 'string', 'email'],
                ['answered_at', 'timestamp', 'cast'],
                ['touchpoint', 'string', 'code'],
                ['channel', 'string', 'code'],
                ['score', 'numeric', 'cast'],
                ['comment', 'string', 'text'],
            ],
        },
        'employee_survey_responses': {
            'key': ['response_id', 'question_id'],
            'ordered_by': none,
            'columns': [
                ['response_id', 'string', 'text'],
                ['survey_id', 'string', 'text'],
                ['question_id', 'string', 'text'],
                ['employee_id', 'string', 'text'],
                ['department', 'string', 'text'],
                ['answered_at', 'timestamp', 'cast'],
                ['score', 'numeric', 'cast'],
            ],
        },
        'support_tickets': {
            'key': ['ticket_id'],
            'ordered_by': 'updated_at',
            'columns': [
                ['ticket_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['requester_email', 'string', 'email'],
                ['requester_phone', 'string', 'phone'],
                ['channel', 'string', 'code'],
                ['category', 'string', 'code'],
                ['priority', 'string', 'code'],
                ['opened_at', 'timestamp', 'cast'],
                ['first_response_at', 'timestamp', 'cast'],
                ['resolved_at', 'timestamp', 'cast'],
                ['closed_at', 'timestamp', 'cast'],
                ['status', 'string', 'code'],
                ['reopen_count', 'int', 'cast'],
                ['agent_id', 'string', 'text'],
                ['updated_at', 'timestamp', 'cast'],
            ],
        },
        'interactions': {
            'key': ['interaction_id'],
            'ordered_by': none,
            'columns': [
                ['interaction_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['contact_email', 'string', 'email'],
                ['contact_phone', 'string', 'phone'],
                ['occurred_at', 'timestamp', 'cast'],
                ['channel', 'string', 'code'],
                ['touchpoint', 'string', 'code'],
                ['interaction_type', 'string', 'code'],
                ['direction', 'string', 'code'],
                ['duration_seconds', 'int', 'cast'],
                ['outcome', 'string', 'code'],
            ],
        },
        'network_incidents': {
            'key': ['incident_id'],
            'ordered_by': none,
            'columns': [
                ['incident_id', 'string', 'text'],
                ['postal_code', 'string', 'text'],
                ['started_at', 'timestamp', 'cast'],
                ['ended_at', 'timestamp', 'cast'],
                ['severity', 'int', 'cast'],
                ['incident_type', 'string', 'code'],
            ],
        },
        'product_reviews': {
            'key': ['review_id'],
            'ordered_by': none,
            'columns': [
                ['review_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['product', 'string', 'text'],
                ['rating', 'numeric', 'cast'],
                ['source', 'string', 'code'],
                ['posted_at', 'timestamp', 'cast'],
                ['review_text', 'string', 'text'],
            ],
        },
        'marketing_spend': {
            'key': ['spend_date', 'channel', 'category'],
            'ordered_by': none,
            'columns': [
                ['spend_date', 'date', 'cast'],
                ['channel', 'string', 'code'],
                ['category', 'string', 'code'],
                ['amount', 'decimal', 'cast'],
                ['currency', 'string', 'iso_code'],
            ],
        },
        'erasure_requests': {
            'key': ['request_id'],
            'ordered_by': none,
            'columns': [
                ['request_id', 'string', 'text'],
                ['customer_id', 'string', 'text'],
                ['requested_at', 'timestamp', 'cast'],
            ],
        },
    } -%}
    {%- if name not in tables -%}
        {{ exceptions.raise_compiler_error(
            'cx360_contract_table: the raw contract has no table ' ~ name) }}
    {%- endif -%}
    {{ return(tables[name]) }}
{%- endmacro %}


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


{% macro cx360_erasure_columns() -%}
    {{ return({
        'crm_customers': {'customer': ['customer_id'], 'email': ['email'], 'phone': ['phone'], 'contact_of': [], 'personal': ['email', 'phone', 'first_name', 'last_name', 'birth_date']},
        'crm_contracts': {'customer': ['customer_id'], 'email': [], 'phone': [], 'personal': []},
        'crm_referrals': {'customer': ['referrer_customer_id', 'referred_customer_id'], 'email': ['referred_email'], 'phone': [], 'contact_of': ['referred_customer_id'], 'personal': ['referred_email']},
        'billing_invoices': {'customer': ['customer_id'], 'email': [], 'phone': [], 'personal': []},
        'billing_orders': {'customer': ['customer_id'], 'email': [], 'phone': [], 'personal': []},
        'survey_responses': {'customer': ['customer_id'], 'email': ['respondent_email'], 'phone': [], 'personal': ['respondent_email', 'comment']},
        'support_tickets': {'customer': ['customer_id'], 'email': ['requester_email'], 'phone': ['requester_phone'], 'personal': ['requester_email', 'requester_phone']},
        'interactions': {'customer': ['customer_id'], 'email': ['contact_email'], 'phone': ['contact_phone'], 'personal': ['contact_email', 'contact_phone']},
        'product_reviews': {'customer': ['customer_id'], 'email': [], 'phone': [], 'personal': ['review_text']},
    }) }}
{%- endmacro %}
