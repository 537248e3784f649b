-- One row per incident: the latest version's words and status, the highest impact any version stated,
-- the earliest start any version gave.
with

versions as (
    select * from raw_incident_versions
),

ranked as (
    select
        versions.*,
        impact_rank(impact) as impact_rank,
        row_number() over (
            partition by incident_id order by last_seen_at desc, first_seen_at desc, version_hash
        ) as recency
    from versions
),

latest as (
    select * from ranked where recency = 1
),

first_posts as (
    select incident_id, min(posted_at) as first_posted_at
    from raw_update_versions
    group by incident_id
),

summary as (
    select
        incident_id,
        arg_max(declared_start, last_seen_at) filter (where declared_start is not null) as declared_start,
        arg_max(declared_end, last_seen_at) filter (where declared_end is not null) as declared_end,
        arg_max(impact, impact_rank) filter (where impact is not null) as impact,
        arg_max(impact_native, impact_rank) filter (where impact is not null) as impact_native,
        min(started_at) as started_at,
        min(first_seen_at) as first_seen_at,
        arg_min(source_url, {'t': first_seen_at, 'u': source_url}) as source_url,
        count(*) as versions
    from ranked
    group by incident_id
),

final as (
    select
        latest.incident_id,
        latest.service_id,
        latest.source_id,
        latest.native_id,
        latest.title,
        coalesce(summary.impact, 'unknown') as impact,
        summary.impact_native,
        latest.status,
        latest.status_native,
        summary.started_at,
        latest.resolved_at,
        latest.url,
        latest.service_key,
        latest.region,
        summary.first_seen_at,
        latest.last_seen_at,
        summary.source_url,
        summary.versions,
        coalesce(first_posts.first_posted_at, summary.started_at) as first_posted_at,
        summary.declared_start,
        summary.declared_end
    from latest
    join summary using (incident_id)
    left join first_posts using (incident_id)
)

select * from final
