-- One row per incident: the latest version's words and status, the highest impact any version stated,
-- the earliest start any version gave. An incident read through the JSON API and a history feed is one
-- (staging/stg_incident_identity.sql): the API's facts win where both state them (words, impact, start, times to the
-- second, the public link); the feed fills in what the API lacks: its status and resolution when it shows a post the
-- API never did, at or after the API's latest (an open-incidents endpoint stops listing an incident when it closes).
with

raw_versions as (
    select * from raw_incident_versions
),

identity as (
    select * from stg_incident_identity
),

update_identity as (
    select * from stg_update_identity
),

post_versions as (
    select * from raw_update_versions
),

versions as (
    select
        raw_versions.* exclude (incident_id),
        identity.incident_id,
        identity.from_feed
    from raw_versions
    join identity on identity.raw_incident_id = raw_versions.incident_id
),

ranked as (
    select
        versions.*,
        impact_rank(impact) as impact_rank,
        row_number() over (
            partition by incident_id order by from_feed, last_seen_at desc, first_seen_at desc, version_hash
        ) as recency,
        row_number() over (
            partition by incident_id, from_feed order by last_seen_at desc, first_seen_at desc, version_hash
        ) as endpoint_recency,
        bool_and(from_feed) over (partition by incident_id) as feed_only
    from versions
),

latest as (
    select * from ranked where recency = 1
),

feed_latest as (
    select * from ranked where endpoint_recency = 1 and from_feed and not feed_only
),

posts as (
    -- every version of every post, under the incident and post it belongs to (a feed post that is an API update is
    -- that update)
    select update_identity.incident_id, update_identity.kept, identity.from_feed, versions.posted_at
    from post_versions as versions
    join update_identity
        on update_identity.raw_incident_id = versions.incident_id
        and update_identity.raw_update_id = versions.update_id
    join identity on identity.raw_incident_id = versions.incident_id
),

first_posts as (
    select
        incident_id,
        min(posted_at) filter (where kept) as first_posted_at,
        max(date_trunc('minute', posted_at)) filter (where not from_feed) as api_latest_minute,
        max(posted_at) filter (where from_feed and kept) as feed_latest_own
    from posts
    group by incident_id
),

summary as (
    select
        incident_id,
        arg_max(declared_start, last_seen_at) filter (where declared_start is not null) as declared_start,
        arg_max(declared_end, last_seen_at) filter (where declared_end is not null) as declared_end,
        arg_max(impact, impact_rank) filter (where impact is not null) as impact,
        arg_max(impact_native, impact_rank) filter (where impact is not null) as impact_native,
        coalesce(min(started_at) filter (where not from_feed), min(started_at)) as started_at,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        arg_min(source_url, {'f': from_feed, 't': first_seen_at, 'u': source_url}) as source_url,
        count(*) as versions
    from ranked
    group by incident_id
),

feed_ahead as (
    -- the feed shows a post the API never did, at or after the API's latest: the feed's status and resolution
    select feed_latest.*
    from feed_latest
    join first_posts using (incident_id)
    where first_posts.feed_latest_own >= coalesce(first_posts.api_latest_minute, '-infinity'::timestamptz)
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
        coalesce(feed_ahead.status, latest.status) as status,
        if(feed_ahead.incident_id is null, latest.status_native, feed_ahead.status_native) as status_native,
        summary.started_at,
        if(feed_ahead.incident_id is null, latest.resolved_at, feed_ahead.resolved_at) as resolved_at,
        latest.url,
        latest.service_key,
        latest.region,
        summary.first_seen_at,
        summary.last_seen_at,
        summary.source_url,
        summary.versions,
        coalesce(first_posts.first_posted_at, summary.started_at) as first_posted_at,
        summary.declared_start,
        summary.declared_end
    from latest
    join summary using (incident_id)
    left join first_posts using (incident_id)
    left join feed_ahead using (incident_id)
)

select * from final
