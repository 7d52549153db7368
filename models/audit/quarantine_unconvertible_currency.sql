{#-
    Quarantine rule unconvertible_currency: paid invoices and completed orders of known customers
    whose currency has no fx rate to the reporting currency (var reporting_currency) on or before
    the revenue day (int_revenue_lines_checked). Shaped as audit.quarantine.
-#}

select
    {{ quarantine_cast('table_name', 'string') }} as table_name,
    {{ quarantine_cast('_batch_name', 'string') }} as batch_name,
    {{ quarantine_cast('_source_row', 'int') }} as source_row,
    {{ quarantine_cast('null', 'int') }} as source_line,
    {{ quarantine_cast("'unconvertible_currency'", 'string') }} as reason_code,
    {{ quarantine_cast("'currency'", 'string') }} as column_name,
    {{ quarantine_cast(
        dbt.concat([
            "'no " ~ var('reporting_currency') ~ " rate for '",
            'currency',
            "' on or before '",
            dbt.cast(dbt.cast('revenue_at', 'date'), dbt.type_string()),
        ]),
        'string',
    ) }} as reason_detail,
    {{ quarantine_cast('source_id', 'string') }} as record_key

from {{ ref('int_revenue_lines_checked') }}
where quarantine_reason = 'unconvertible_currency'
