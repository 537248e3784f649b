-- Analyst view: one row per official post, oldest first within an incident.
with

updates as (
    select * from stg_incident_updates
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
        source_url
    from updates
)

select * from final
