-- The impact window each provider admits after the fact, beside its first post: AWS's own "Between 7:32 AM and
-- 3:10 PM PST…" against a first post at 16:22Z is the story.
with

incidents as (
    select * from stg_incidents
),

final as (
    select
        service_id,
        incident_id,
        declared_start,
        declared_end,
        first_posted_at,
        first_posted_at - declared_start as first_post_after_declared_start,
        title,
        source_id
    from incidents
    where declared_start is not null
)

select * from final
