-- One row per official update: its latest version.
with

versions as (
    select * from raw_update_versions
),

ranked as (
    select
        *,
        row_number() over (
            partition by incident_id, update_id order by last_seen_at desc, first_seen_at desc, version_hash
        ) as recency,
        min(first_seen_at) over (partition by incident_id, update_id) as update_first_seen_at,
        arg_min(source_url, {'t': first_seen_at, 'u': source_url}) over (partition by incident_id, update_id) as first_source_url
    from versions
),

final as (
    select
        incident_id,
        update_id,
        source_id,
        posted_at,
        created_at,
        status,
        status_native,
        body,
        update_first_seen_at as first_seen_at,
        first_source_url as source_url
    from ranked
    where recency = 1
)

select * from final
