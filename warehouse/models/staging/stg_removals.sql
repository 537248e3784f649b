-- What a provider took down: posts and incidents a document listed and a later successful read of the same URL no
-- longer lists. One row per removed incident (update_id NULL) or post, with the read that first showed it gone.
-- Membership comes from raw_documents (what each parsed document listed; migrations/0005_document_members.sql), the
-- reads that changed it from stg_document_changes.
--   * a post is removed when the later read still lists its incident but not the post;
--   * an incident is removed when the later read lists closed incidents too (a list of open incidents only, such
--     as Statuspage's summary.json, drops an incident when it closes: not a removal) and still lists an incident
--     that started before it (a bounded list, such as incidents.json's latest 50, drops the oldest off its end:
--     not a removal either).
-- Whatever a later read of the source lists again is not removed. Rows name the incident and post as every view does
-- (staging/stg_incident_identity.sql, stg_update_identity.sql).
with

documents as (
    select * from raw_documents
),

incident_versions as (
    select * from raw_incident_versions
),

transitions as (
    -- reads whose body differs from the URL's previous read: the only ones that can list something else
    select * from stg_document_changes where previous_sha256 is not null
),

listed_incidents as (
    -- incidents per document, with the start and status that document gave them
    select distinct
        documents.source_id,
        documents.url,
        documents.sha256,
        member.incident_id,
        incident_versions.started_at,
        incident_versions.status in ('resolved', 'postmortem', 'completed') as closed
    from documents, unnest(documents.incident_versions) as members(member)
    join incident_versions
        on incident_versions.incident_id = member.incident_id
        and incident_versions.version_hash = member.version_hash
),

listed_updates as (
    select distinct documents.source_id, documents.url, documents.sha256, member.incident_id, member.update_id
    from documents, unnest(documents.update_versions) as members(member)
),

document_window as (
    -- per document: whether it lists closed incidents too, and the earliest start it lists
    select source_id, url, sha256, bool_or(closed) as lists_closed, min(started_at) as earliest_started_at
    from listed_incidents
    group by all
),

updates_gone as (
    select transitions.source_id, transitions.url, transitions.fetched_at, before.incident_id, before.update_id
    from transitions
    join listed_updates as before
        on before.source_id = transitions.source_id
        and before.url = transitions.url
        and before.sha256 = transitions.previous_sha256
    semi join listed_incidents as still
        on still.source_id = transitions.source_id
        and still.url = transitions.url
        and still.sha256 = transitions.sha256
        and still.incident_id = before.incident_id
    anti join listed_updates as now
        on now.source_id = transitions.source_id
        and now.url = transitions.url
        and now.sha256 = transitions.sha256
        and now.incident_id = before.incident_id
        and now.update_id = before.update_id
),

incidents_gone as (
    select
        transitions.source_id,
        transitions.url,
        transitions.fetched_at,
        before.incident_id,
        cast(null as varchar) as update_id
    from transitions
    join listed_incidents as before
        on before.source_id = transitions.source_id
        and before.url = transitions.url
        and before.sha256 = transitions.previous_sha256
    join document_window as window_now
        on window_now.source_id = transitions.source_id
        and window_now.url = transitions.url
        and window_now.sha256 = transitions.sha256
    anti join listed_incidents as now
        on now.source_id = transitions.source_id
        and now.url = transitions.url
        and now.sha256 = transitions.sha256
        and now.incident_id = before.incident_id
    where window_now.lists_closed and before.started_at > window_now.earliest_started_at
),

gone as (
    select * from updates_gone
    union all
    select * from incidents_gone
),

latest_gone as (
    select
        incident_id,
        update_id,
        max(fetched_at) as removed_at,
        arg_max(url, fetched_at) as source_url,
        any_value(source_id) as source_id
    from gone
    group by incident_id, update_id
),

listed_again as (
    -- a later read of the source lists it again: not removed (or no longer)
    select latest_gone.incident_id, latest_gone.update_id
    from latest_gone
    join transitions
        on transitions.source_id = latest_gone.source_id
        and transitions.fetched_at > latest_gone.removed_at
    where
        (latest_gone.update_id is null and exists (
            select 1 from listed_incidents as l
            where l.source_id = transitions.source_id and l.url = transitions.url
                and l.sha256 = transitions.sha256 and l.incident_id = latest_gone.incident_id
        ))
        or (latest_gone.update_id is not null and exists (
            select 1 from listed_updates as l
            where l.source_id = transitions.source_id and l.url = transitions.url
                and l.sha256 = transitions.sha256 and l.incident_id = latest_gone.incident_id
                and l.update_id = latest_gone.update_id
        ))
),

removed as (
    select latest_gone.incident_id, latest_gone.update_id, latest_gone.removed_at, latest_gone.source_url
    from latest_gone
    anti join listed_again
        on listed_again.incident_id = latest_gone.incident_id
        and listed_again.update_id is not distinct from latest_gone.update_id
),

members as (
    -- how many raw incidents (endpoints) each incident was read through (staging/stg_incident_identity.sql)
    select incident_id, count(*) as endpoints from stg_incident_identity group by incident_id
),

final as (
    -- under the incident and post each belongs to: a post the feed took down that is an API update is the API's to
    -- remove; an incident read through several endpoints is removed when every one of them took it down
    select identity.incident_id, identity.update_id, removed.removed_at, removed.source_url
    from removed
    join stg_update_identity as identity
        on identity.raw_incident_id = removed.incident_id
        and identity.raw_update_id = removed.update_id
    where identity.kept
    union all
    select
        identity.incident_id,
        cast(null as varchar) as update_id,
        max(removed.removed_at) as removed_at,
        arg_max(removed.source_url, removed.removed_at) as source_url
    from removed
    join stg_incident_identity as identity on identity.raw_incident_id = removed.incident_id
    join members on members.incident_id = identity.incident_id
    where removed.update_id is null
    group by identity.incident_id, members.endpoints
    having count(*) = members.endpoints
)

select * from final
