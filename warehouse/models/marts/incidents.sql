-- Analyst view: one row per incident of any provider.
with

incidents as (
    select * from stg_incidents
),

final as (
    select
        incident_id,
        service_id,
        source_id,
        title,
        impact,
        status,
        started_at,
        resolved_at,
        url,
        impact_native,
        status_native,
        native_id,
        service_key,
        region,
        first_seen_at,
        source_url,
        versions
    from incidents
)

select * from final
