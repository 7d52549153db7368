{#-
    Tickets whose timestamps break time order: quarantined with a reason, never a
    failed check that blocks every refresh (a ticket resolved before it was opened used to make
    fct_kpi's mean resolution time negative, and the marts suite then blocked every run with no
    batch to accept). A negative duration is a range rule of one field: landing nulls it as
    value_out_of_range (`range:` in cx360/contract/raw_contract.yml). The reason is null for a valid row. Used by the *_attributed models (which
    leave these rows out) and by audit.quarantine_time_order (which records them).
-#}

{% macro ticket_time_order_reason(rel) -%}
    case
        when {{ rel }}.resolved_at < {{ rel }}.opened_at then 'resolved_before_opened'
        when {{ rel }}.first_response_at < {{ rel }}.opened_at then 'responded_before_opened'
        when {{ rel }}.closed_at < {{ rel }}.opened_at then 'closed_before_opened'
    end
{%- endmacro %}


{#- The column whose value breaks the order, for audit.quarantine.column_name. -#}
{% macro ticket_time_order_column(rel) -%}
    case
        when {{ rel }}.resolved_at < {{ rel }}.opened_at then 'resolved_at'
        when {{ rel }}.first_response_at < {{ rel }}.opened_at then 'first_response_at'
        when {{ rel }}.closed_at < {{ rel }}.opened_at then 'closed_at'
    end
{%- endmacro %}

