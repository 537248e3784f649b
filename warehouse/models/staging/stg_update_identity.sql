-- The posts of one incident read through several endpoints (staging/stg_incident_identity.sql). A history feed has
-- no update ids and dates its posts to the minute; the JSON API has both. A feed post is the API's update of the same
-- incident posted in the same minute, in the same order among that minute's posts (the page lists them by time, and
-- so do both endpoints); a feed post no API read showed (a resolution the open-incidents endpoint never listed, a
-- post older than what the API kept) stays, as the feed's. One row per raw post: the incident and post it is
-- (incident_id, update_id), and whether it stands for itself (kept) or is the same post as an API update (not kept:
-- the API's words and times win).
with

identity as (
    select * from stg_incident_identity
),

update_versions as (
    select * from raw_update_versions
),

latest as (
    -- each raw post's latest version: the time it says now (the version staging/stg_incident_updates.sql shows)
    select incident_id as raw_incident_id, update_id as raw_update_id, posted_at, created_at
    from (
        select
            *,
            row_number() over (
                partition by incident_id, update_id order by last_seen_at desc, first_seen_at desc, version_hash
            ) as recency
        from update_versions
    )
    where recency = 1
),

placed as (
    select
        latest.*,
        identity.incident_id,
        identity.from_feed,
        row_number() over (
            partition by identity.incident_id, identity.from_feed, date_trunc('minute', latest.posted_at)
            order by
                latest.posted_at,
                latest.created_at,
                try_cast(latest.raw_update_id as integer),  -- a feed post's place in its trail, oldest first
                latest.raw_update_id
        ) as nth_in_minute
    from latest
    join identity using (raw_incident_id)
),

api_posts as (
    select * from placed where not from_feed
),

feed_posts as (
    select * from placed where from_feed
),

matched as (
    select feed_posts.raw_incident_id, feed_posts.raw_update_id, api_posts.raw_update_id as api_update_id
    from feed_posts
    join api_posts
        on api_posts.incident_id = feed_posts.incident_id
        and date_trunc('minute', api_posts.posted_at) = date_trunc('minute', feed_posts.posted_at)
        and api_posts.nth_in_minute = feed_posts.nth_in_minute
),

final as (
    select
        placed.raw_incident_id,
        placed.raw_update_id,
        placed.incident_id,
        coalesce(matched.api_update_id, placed.raw_update_id) as update_id,
        matched.api_update_id is null as kept
    from placed
    left join matched using (raw_incident_id, raw_update_id)
)

select * from final
