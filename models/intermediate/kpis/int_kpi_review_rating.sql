-- Mean product review rating (1-5). Ratings off that range are quarantined upstream
-- (value_out_of_range); reviews without a rating count nowhere.
with

reviews as (
    select * from {{ ref('stg_reviews__product_reviews') }}
),

events as (
    select
        {{ to_reporting_time('posted_at') }} as period_at,
        source,
        coalesce(rating, 0) as kpi_numerator,
        {{ kpi_flag('rating is not null') }} as kpi_denominator,
        {{ kpi_flag('rating is not null') }} as kpi_sample
    from reviews
)

{{ kpi_facts(
    'review_rating', 'events', unit='score', dimensions=['source'],
    ci='normal'
) }}
