{#-
    Network quality exposure per CRM customer: incidents in the customer's postal_code during
    the 30 days up to the as-of day, [as_of_end - 30 days, as_of_end). Each incident counts the
    hours it overlaps that window, weighted by its severity (1 minor .. 4 total outage); an
    ongoing incident (ended_at null) runs until as_of_end. Customers without incidents (or
    without a postal_code) get 0.
-#}

with

as_of as (

    select
        as_of_end,
        {{ dbt.dateadd('day', -30, 'as_of_end') }} as window_start

    from {{ ref('int_as_of') }}

),

customers as (

    select
        customer_id,
        postal_code

    from {{ ref('stg_crm__customers') }}

),

incidents_in_window as (

    select
        incidents.incident_id,
        incidents.postal_code,
        incidents.severity,
        case
            when incidents.started_at > as_of.window_start then incidents.started_at
            else as_of.window_start
        end as overlap_start,
        case
            when incidents.ended_at is null or incidents.ended_at > as_of.as_of_end
                then as_of.as_of_end
            else incidents.ended_at
        end as overlap_end

    from {{ ref('stg_network__incidents') }} as incidents
    cross join as_of
    where
        incidents.started_at < as_of.as_of_end
        and (incidents.ended_at is null or incidents.ended_at > as_of.window_start)
        and incidents.severity is not null

),

area_exposure as (

    select
        postal_code,
        count(*) as incidents_30d,
        sum(
            severity * {{ dbt.datediff('overlap_start', 'overlap_end', 'second') }} / 3600.0  -- noqa: LT05
        ) as qos_exposure_30d

    from incidents_in_window
    group by postal_code

),

customer_exposure as (

    select
        customers.customer_id,
        customers.postal_code,
        coalesce(area_exposure.incidents_30d, 0) as incidents_30d,
        coalesce(area_exposure.qos_exposure_30d, 0) as qos_exposure_30d

    from customers
    left join area_exposure
        on customers.postal_code = area_exposure.postal_code

)

select * from customer_exposure
