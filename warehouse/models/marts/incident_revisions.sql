-- Analyst view: what changed each time a source was read. Edited titles, impacts, statuses and times; updates
-- that appeared, were edited, re-dated or replaced by wholly different words at their place; updates dated before a
-- read that did not yet show them (backdated); posts and incidents the provider took down (removed). A change is
-- recorded at the read that first showed it, including a return to an earlier value and an edit of a time by
-- milliseconds.
with

versions as (
    select * from raw_incident_versions
),

identity as (
    select * from stg_incident_identity
),

update_versions as (
    -- a feed post that is an API update is that update: its changes are the API's (staging/stg_update_identity.sql)
    select versions.*
    from raw_update_versions as versions
    semi join stg_update_identity as posts
        on posts.raw_incident_id = versions.incident_id
        and posts.raw_update_id = versions.update_id
        and posts.kept
),

fetches as (
    select * from raw_fetches where error is null
),

removals as (
    select * from stg_removals
),

document_changes as (
    select * from stg_document_changes
),

documents as (
    select * from raw_documents
),

incident_sightings as (
    -- when each version was shown, per URL: its first sighting, and every read whose body changed that showed it
    -- (so a version that returns, investigating → monitoring → investigating, is seen returning when it does)
    select incident_id, version_hash, source_url as url, first_seen_at as seen_at
    from versions
    union
    select member.incident_id, member.version_hash, document_changes.url, document_changes.fetched_at as seen_at
    from document_changes
    join documents using (source_id, url, sha256), unnest(documents.incident_versions) as members(member)
),

incident_fields as (
    select
        sightings.incident_id,
        sightings.url,
        sightings.seen_at,
        unnest(['title', 'impact', 'status', 'started_at', 'resolved_at']) as field,
        unnest([
            versions.title, versions.impact, versions.status, iso_utc(versions.started_at),
            iso_utc(versions.resolved_at)
        ]) as value
    from incident_sightings as sightings
    join versions using (incident_id, version_hash)
),

incident_steps as (
    select
        incident_id,
        url,
        seen_at,
        field,
        lag(value) over (partition by incident_id, url, field order by seen_at, value) as old_value,
        value as new_value,
        row_number() over (partition by incident_id, url, field order by seen_at, value) as nth
    from incident_fields
    -- a version that states no impact (AWS shows 0 once resolved) is not a change of impact
    where not (field = 'impact' and value is null)
),

incident_changes as (
    -- the same change seen through several URLs of a source is one change, at its first sighting; the k-th time a
    -- field goes from one value to another is told apart from the first (a return to an earlier value)
    select incident_id, min(seen_at) as seen_at, field, old_value, new_value
    from (
        select
            *,
            row_number() over (partition by incident_id, url, field, old_value, new_value order by seen_at) as k
        from incident_steps
        where nth > 1 and old_value is distinct from new_value
    )
    group by incident_id, field, old_value, new_value, k
),

edited_updates as (
    -- only a post with more than one version can have changed (most never are)
    select incident_id, update_id from update_versions group by incident_id, update_id having count(*) > 1
),

update_sightings as (
    select incident_id, update_id, version_hash, source_url as url, first_seen_at as seen_at
    from update_versions
    semi join edited_updates using (incident_id, update_id)
    union
    select
        sightings.incident_id,
        sightings.update_id,
        sightings.version_hash,
        sightings.url,
        sightings.seen_at
    from (
        select
            member.incident_id,
            member.update_id,
            member.version_hash,
            document_changes.url,
            document_changes.fetched_at as seen_at
        from document_changes
        join documents using (source_id, url, sha256), unnest(documents.update_versions) as members(member)
    ) as sightings
    semi join edited_updates using (incident_id, update_id)
),

update_fields as (
    select
        sightings.incident_id,
        sightings.update_id,
        sightings.url,
        sightings.seen_at,
        unnest(['update_body', 'update_posted_at']) as field,
        unnest([update_versions.body, iso_utc(update_versions.posted_at)]) as value
    from update_sightings as sightings
    join update_versions using (incident_id, update_id, version_hash)
),

update_steps as (
    select
        incident_id,
        update_id,
        url,
        seen_at,
        field,
        lag(value) over (partition by incident_id, update_id, url, field order by seen_at, value) as old_value,
        value as new_value,
        row_number() over (partition by incident_id, update_id, url, field order by seen_at, value) as nth
    from update_fields
),

edited as (
    -- a post identified by its place in its incident's list (AWS, Statuspage history feeds: a number) whose words are
    -- now wholly different (fewer than half of the words of both in common) is not an edit: the provider replaced
    -- it, or inserted or removed a post before it and the places moved (update_replaced, old and new words)
    select
        incident_id,
        min(seen_at) as seen_at,
        case
            when field = 'update_body' and regexp_full_match(update_id, '[0-9]{1,4}')
                and len(list_intersect(any_value(old_words), any_value(new_words)))
                    < 0.5 * len(list_distinct(list_concat(any_value(old_words), any_value(new_words))))
                then 'update_replaced'
            else field
        end as field,
        old_value,
        new_value
    from (
        select
            *,
            row_number() over (
                partition by incident_id, update_id, url, field, old_value, new_value order by seen_at
            ) as k,
            list_distinct(regexp_extract_all(lower(coalesce(old_value, '')), '\w+')) as old_words,
            list_distinct(regexp_extract_all(lower(coalesce(new_value, '')), '\w+')) as new_words
        from update_steps
        where nth > 1 and old_value is distinct from new_value
    )
    group by incident_id, update_id, field, old_value, new_value, k
),

first_sightings as (
    select
        update_versions.incident_id,
        update_versions.update_id,
        update_versions.source_id,
        min(update_versions.first_seen_at) as first_seen_at,
        arg_min(update_versions.posted_at, update_versions.first_seen_at) as posted_at,
        arg_min(update_versions.status, update_versions.first_seen_at) as status
    from update_versions
    group by all
),

incident_first_seen as (
    -- per raw incident, when the incident it belongs to was first seen through any endpoint
    select identity.raw_incident_id as incident_id, min(min(versions.first_seen_at)) over (
        partition by identity.incident_id
    ) as first_seen_at
    from versions
    join identity on identity.raw_incident_id = versions.incident_id
    group by identity.raw_incident_id, identity.incident_id
),

added as (
    select
        first_sightings.incident_id,
        first_sightings.first_seen_at as seen_at,
        'update_added' as field,
        cast(null as varchar) as old_value,
        first_sightings.update_id || ' [' || first_sightings.status || '] ' || iso_utc(first_sightings.posted_at)
            as new_value
    from first_sightings
    join incident_first_seen using (incident_id)
    where first_sightings.first_seen_at > incident_first_seen.first_seen_at
),

backdated as (
    -- the source was read successfully after the update's stated time, and that read did not show it
    select
        first_sightings.incident_id,
        first_sightings.first_seen_at as seen_at,
        'update_backdated' as field,
        iso_utc(max(fetches.fetched_at)) as old_value,
        first_sightings.update_id || ' dated ' || iso_utc(first_sightings.posted_at) as new_value
    from first_sightings
    join fetches
        on fetches.source_id = first_sightings.source_id
        and fetches.fetched_at < first_sightings.first_seen_at
        and fetches.fetched_at > first_sightings.posted_at + interval 5 minute  -- tolerance for caches and clocks
    group by first_sightings.incident_id, first_sightings.first_seen_at, first_sightings.update_id,
        first_sightings.posted_at
),

removed as (
    -- a post or incident the provider took down (staging/stg_removals.sql): what it was, and nothing now
    select
        removals.incident_id,
        removals.removed_at as seen_at,
        'update_removed' as field,
        removals.update_id || ' [' || updates.status || '] ' || iso_utc(updates.posted_at) as old_value,
        cast(null as varchar) as new_value
    from removals
    join stg_incident_updates as updates using (incident_id, update_id)
    union all
    select
        removals.incident_id,
        removals.removed_at as seen_at,
        'incident_removed' as field,
        incidents.title as old_value,
        cast(null as varchar) as new_value
    from removals
    join stg_incidents as incidents using (incident_id)
    where removals.update_id is null
),

raw_changes as (
    select * from incident_changes
    -- an incident read through the API and a feed: the API's words, status and times are the incident's
    semi join identity on identity.raw_incident_id = incident_changes.incident_id
        and (not identity.from_feed or identity.incident_id = identity.raw_incident_id)
    union all
    select * from added
    union all
    select * from edited
    union all
    select * from backdated
),

final as (
    -- under the incident each belongs to (staging/stg_incident_identity.sql); removals are named so already
    select identity.incident_id, raw_changes.seen_at, raw_changes.field, raw_changes.old_value, raw_changes.new_value
    from raw_changes
    join identity on identity.raw_incident_id = raw_changes.incident_id
    union all
    select * from removed
)

select * from final
