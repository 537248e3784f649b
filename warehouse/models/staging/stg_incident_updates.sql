-- One row per official update: its latest version. A post read both through the JSON API and a history feed is the
-- API's update (staging/stg_update_identity.sql), under the incident it belongs to (stg_incident_identity.sql).
with

versions as (
    select * from raw_update_versions
),

identity as (
    select * from stg_update_identity
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
        identity.incident_id,
        identity.update_id,
        ranked.source_id,
        ranked.posted_at,
        ranked.created_at,
        ranked.status,
        ranked.status_native,
        ranked.body,
        ranked.update_first_seen_at as first_seen_at,
        ranked.first_source_url as source_url
    from ranked
    join identity
        on identity.raw_incident_id = ranked.incident_id
        and identity.raw_update_id = ranked.update_id
    where ranked.recency = 1 and identity.kept
)

select * from final
