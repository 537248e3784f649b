-- Analyst view: one row per official post, oldest first within an incident.
with

updates as (
    select * from stg_incident_updates
),

removals as (
    select incident_id, update_id, removed_at from stg_removals where update_id is not null
),

final as (
    select
        incident_id,
        posted_at,
        status,
        body,
        update_id,
        created_at,
        status_native,
        source_id,
        first_seen_at,
        source_url,
        removals.removed_at
    from updates
    left join removals using (incident_id, update_id)
)

select * from final
