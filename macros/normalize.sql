{#-
    Value normalisation shared by the staging models (docs/architecture.md, "Staging
    conventions"). Each macro takes a SQL expression and returns a SQL expression, so it can be
    used on any column and unit-tested through the staging models that call it.
-#}

{#- Text trimmed of every kind of surrounding whitespace (space, tab, line ends, vertical tab,
    form feed, no-break space; plain trim() removes spaces only, so ' C1' + tab stayed another
    id), empty -> null: free-text and identifier columns. Case is kept: ids are case-sensitive
    (the contract's header says so). -#}
{% macro clean_string(expression) -%}
    nullif(trim(both {{ whitespace_characters() }} from {{ expression }}), '')
{%- endmacro %}


{% macro whitespace_characters() -%}
    ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160)
{%- endmacro %}


{#- Trimmed lower-case vocabulary value (segment, channel, status, ...), empty -> null. -#}
{% macro normalize_vocabulary(expression) -%}
    lower(nullif(trim({{ expression }}), ''))
{%- endmacro %}


{#- Upper-case ISO code (country, currency), empty -> null. -#}
{% macro normalize_iso_code(expression) -%}
    upper(nullif(trim({{ expression }}), ''))
{%- endmacro %}


{#- E-mail address: trimmed, lower-case, empty -> null. -#}
{% macro normalize_email(expression) -%}
    lower({{ clean_string(expression) }})
{%- endmacro %}


{#-
    Phone number in one canonical international form: digits only, country code first, no '+'
    (e.g. '+33 6 12 34 56 78', '0033612345678' and '06.12.34.56.78' all become '33612345678').

    Rules, in order, on the number with an optional '(0)' trunk marker removed:
      starts with '+'          -> its digits (already international)
      digits start with '00'   -> the digits after '00' (international call prefix)
      digits start with '0'    -> default country code + the digits after the trunk '0'
      anything else            -> its digits, taken as already international
    No digits at all -> null.
-#}
{% macro normalize_phone(expression, country_code=none) -%}
    {%- set country_code = country_code or var('default_phone_country_code', '33') -%}
    {%- set trimmed = "replace(trim(" ~ expression ~ "), '(0)', '')" -%}
    {%- set digits = cx360_regexp_replace_all(trimmed, '[^0-9]', '') -%}
    case
        when nullif({{ digits }}, '') is null then null
        when {{ trimmed }} like '+%' then {{ digits }}
        when {{ digits }} like '00%' then substr({{ digits }}, 3)
        when {{ digits }} like '0%'
            then {{ dbt.concat(["'" ~ country_code ~ "'", "substr(" ~ digits ~ ", 2)"]) }}
        else {{ digits }}
    end
{%- endmacro %}
