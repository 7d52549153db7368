-- The customer journey per touchpoint and channel over all the data: how much happens there
-- (interactions, tickets, survey answers) and how it feels (NPS, CSAT, CES, share of negative
-- experiences), with the moments of truth ranked by the harm they do (pain_rank 1 = most
-- negative experiences, then the highest negative share).
-- Negative experience: an NPS detractor, or a CSAT / CES answer in the bottom
-- var negative_experience_bottom_points points of its scale. Tickets are support contacts.
-- Read from the intermediate models, not the row facts: an erased customer's rows count here
-- as an anonymous contribution under var erasure_policy anonymise (macros/erasure.sql).
{%- set is_negative_experience -%}
    nps_category = 'detractor'
    or (
        survey_type in ('csat', 'ces')
        and score < scale_min + {{ var('negative_experience_bottom_points') }}
    )
{%- endset %}

with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where score is not null
),

interactions as (
    select * from {{ ref('int_interactions_attributed') }}
),

tickets as (
    select * from {{ ref('int_tickets_with_durations') }}
),

answer_stats as (
    select
        coalesce(touchpoint, 'unknown') as touchpoint,
        coalesce(channel, 'unknown') as channel,
        count(*) as survey_answers,
        sum({{ kpi_flag("survey_type = 'nps'") }}) as nps_answers,
        sum(case nps_category when 'promoter' then 1 when 'detractor' then -1 else 0 end)
            as nps_numerator,
        sum({{ kpi_flag("survey_type = 'csat'") }}) as csat_answers,
        sum({{ kpi_flag('is_satisfied') }}) as csat_satisfied,
        sum({{ kpi_flag("survey_type = 'ces'") }}) as ces_answers,
        sum(case when survey_type = 'ces' then score_on_kpi_scale else 0 end) as ces_score_sum,
        sum({{ kpi_flag("survey_type in ('nps', 'csat', 'ces')") }}) as experience_answers,
        sum({{ kpi_flag(is_negative_experience) }}) as negative_experiences
    from answers
    group by coalesce(touchpoint, 'unknown'), coalesce(channel, 'unknown')
),

interaction_stats as (
    select
        coalesce(touchpoint, 'unknown') as touchpoint,
        coalesce(channel, 'unknown') as channel,
        count(*) as interactions
    from interactions
    group by coalesce(touchpoint, 'unknown'), coalesce(channel, 'unknown')
),

ticket_stats as (
    select
        'support' as touchpoint,
        coalesce(channel, 'unknown') as channel,
        count(*) as tickets
    from tickets
    group by coalesce(channel, 'unknown')
),

touchpoint_channels as (
    select
        touchpoint,
        channel
    from answer_stats
    union
    select
        touchpoint,
        channel
    from interaction_stats
    union
    select
        touchpoint,
        channel
    from ticket_stats
),

combined as (
    select
        touchpoint_channels.touchpoint,
        touchpoint_channels.channel,
        coalesce(interaction_stats.interactions, 0) as interactions,
        coalesce(ticket_stats.tickets, 0) as tickets,
        coalesce(answer_stats.survey_answers, 0) as survey_answers,
        coalesce(answer_stats.nps_answers, 0) as nps_answers,
        {{ kpi_ratio('answer_stats.nps_numerator', 'answer_stats.nps_answers', 100) }} as nps,
        coalesce(answer_stats.csat_answers, 0) as csat_answers,
        {{ kpi_ratio('answer_stats.csat_satisfied', 'answer_stats.csat_answers', 100) }} as csat,
        coalesce(answer_stats.ces_answers, 0) as ces_answers,
        {{ kpi_ratio('answer_stats.ces_score_sum', 'answer_stats.ces_answers') }} as ces,
        coalesce(answer_stats.negative_experiences, 0) as negative_experiences,
        {{ kpi_ratio(
            'answer_stats.negative_experiences', 'answer_stats.experience_answers', 100
        ) }} as negative_share
    from touchpoint_channels
    left join answer_stats
        on
            touchpoint_channels.touchpoint = answer_stats.touchpoint
            and touchpoint_channels.channel = answer_stats.channel
    left join interaction_stats
        on
            touchpoint_channels.touchpoint = interaction_stats.touchpoint
            and touchpoint_channels.channel = interaction_stats.channel
    left join ticket_stats
        on
            touchpoint_channels.touchpoint = ticket_stats.touchpoint
            and touchpoint_channels.channel = ticket_stats.channel
)

select
    touchpoint,
    channel,
    cast(interactions + tickets as {{ dbt.type_bigint() }}) as volume,
    cast(interactions as {{ dbt.type_bigint() }}) as interactions,
    cast(tickets as {{ dbt.type_bigint() }}) as tickets,
    cast(survey_answers as {{ dbt.type_bigint() }}) as survey_answers,
    cast(nps as {{ cx360_type_double() }}) as nps,
    cast(nps_answers as {{ dbt.type_bigint() }}) as nps_answers,
    cast(csat as {{ cx360_type_double() }}) as csat,
    cast(csat_answers as {{ dbt.type_bigint() }}) as csat_answers,
    cast(ces as {{ cx360_type_double() }}) as ces,
    cast(ces_answers as {{ dbt.type_bigint() }}) as ces_answers,
    cast(negative_experiences as {{ dbt.type_bigint() }}) as negative_experiences,
    cast(negative_share as {{ cx360_type_double() }}) as negative_share,
    cast(row_number() over (
        order by
            negative_experiences desc, coalesce(negative_share, 0) desc, touchpoint, channel asc
    ) as {{ dbt.type_bigint() }}) as pain_rank
from combined
