-- Analyst view: what changed each time a source was read. Edited titles, impacts, statuses and times; updates
-- that appeared, were edited or re-dated; and updates dated before a read that did not yet show them (backdated).
with

versions as (
    select * from raw_incident_versions
),

update_versions as (
    select * from raw_update_versions
),

fetches as (
    select * from raw_fetches where error is null
),

removals as (
    select * from stg_removals
),

incident_fields as (
    select
        incident_id,
        first_seen_at as seen_at,
        unnest(['title', 'impact', 'status', 'started_at', 'resolved_at']) as field,
        unnest([
            title, impact, status, strftime(started_at, '%Y-%m-%dT%H:%M:%SZ'),
            strftime(resolved_at, '%Y-%m-%dT%H:%M:%SZ')
        ]) as value
    from versions
),

incident_changes as (
    select
        incident_id,
        seen_at,
        field,
        lag(value) over (partition by incident_id, field order by seen_at) as old_value,
        value as new_value,
        row_number() over (partition by incident_id, field order by seen_at) as nth
    from incident_fields
    -- a version that states no impact (AWS shows 0 once resolved) is not a change of impact
    where not (field = 'impact' and value is null)
),

update_fields as (
    select
        incident_id,
        update_id,
        first_seen_at as seen_at,
        body,
        strftime(posted_at, '%Y-%m-%dT%H:%M:%SZ') as posted,
        status,
        row_number() over (partition by incident_id, update_id order by first_seen_at) as nth,
        lag(body) over (partition by incident_id, update_id order by first_seen_at) as old_body,
        lag(strftime(posted_at, '%Y-%m-%dT%H:%M:%SZ')) over (
            partition by incident_id, update_id order by first_seen_at
        ) as old_posted
    from update_versions
),

incident_first_seen as (
    select incident_id, min(first_seen_at) as first_seen_at from versions group by incident_id
),

added as (
    select
        update_fields.incident_id,
        update_fields.seen_at,
        'update_added' as field,
        cast(null as varchar) as old_value,
        update_fields.update_id || ' [' || update_fields.status || '] ' || update_fields.posted as new_value
    from update_fields
    join incident_first_seen using (incident_id)
    where update_fields.nth = 1 and update_fields.seen_at > incident_first_seen.first_seen_at
),

edited as (
    select incident_id, seen_at, 'update_body' as field, old_body as old_value, body as new_value
    from update_fields
    where nth > 1 and old_body is distinct from body
    union all
    select incident_id, seen_at, 'update_posted_at' as field, old_posted as old_value, posted as new_value
    from update_fields
    where nth > 1 and old_posted is distinct from posted
),

first_sightings as (
    select
        update_versions.incident_id,
        update_versions.update_id,
        update_versions.source_id,
        min(update_versions.first_seen_at) as first_seen_at,
        arg_min(update_versions.posted_at, update_versions.first_seen_at) as posted_at
    from update_versions
    group by all
),

backdated as (
    -- the source was read successfully after the update's stated time, and that read did not show it
    select
        first_sightings.incident_id,
        first_sightings.first_seen_at as seen_at,
        'update_backdated' as field,
        strftime(max(fetches.fetched_at), '%Y-%m-%dT%H:%M:%SZ') as old_value,
        first_sightings.update_id || ' dated ' || strftime(first_sightings.posted_at, '%Y-%m-%dT%H:%M:%SZ')
            as new_value
    from first_sightings
    join fetches
        on fetches.source_id = first_sightings.source_id
        and fetches.fetched_at < first_sightings.first_seen_at
        and fetches.fetched_at > first_sightings.posted_at + interval 5 minute  -- tolerance for caches and clocks
    group by all
),

removed as (
    -- a post or incident the provider took down (staging/stg_removals.sql): what it was, and nothing now
    select
        removals.incident_id,
        removals.removed_at as seen_at,
        'update_removed' as field,
        removals.update_id || ' [' || updates.status || '] ' || strftime(updates.posted_at, '%Y-%m-%dT%H:%M:%SZ')
            as old_value,
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

final as (
    select incident_id, seen_at, field, old_value, new_value
    from incident_changes
    where nth > 1 and old_value is distinct from new_value
    union all
    select * from added
    union all
    select * from edited
    union all
    select * from backdated
    union all
    select * from removed
)

select * from final
