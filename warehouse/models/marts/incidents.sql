-- Analyst view: one row per incident of any provider.
with

incidents as (
    select * from stg_incidents
),

removals as (
    select incident_id, removed_at from stg_removals where update_id is null
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
        versions,
        removals.removed_at
    from incidents
    left join removals using (incident_id)
)

select * from final
