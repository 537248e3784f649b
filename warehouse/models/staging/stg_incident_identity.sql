-- One provider incident read through several endpoints is one incident. A Statuspage incident's id (the code in
-- its page's URL, /incidents/<id>) is what the JSON API (summary.json, incidents.json, incidents/<id>.json) gives as
-- `id` and what the history feeds (history.atom, history.rss) link each entry to: the parsers make it the incident's
-- native_id either way. Per service, the incidents of `statuspage` sources with the same native_id are one incident,
-- named by an API member's incident_id when there is one (its facts win: impact, components, update ids, times to
-- the second), else by a feed member's. One row per raw incident_id: the incident it belongs to (incident_id, what
-- every view shows) and whether it was read from a history feed.
with

versions as (
    select * from raw_incident_versions
),

sources as (
    select * from raw_sources
),

members as (
    select
        versions.incident_id as raw_incident_id,
        any_value(versions.service_id) as service_id,
        any_value(versions.native_id) as native_id,
        -- a Statuspage incident id is 12 random base-36 characters, unique across pages: with the service, it names
        -- one provider incident (a shorter id, as constructed data may use, could be two pages' own numbering)
        any_value(sources.kind) = 'statuspage' and regexp_full_match(any_value(versions.native_id), '[a-z0-9]{12}')
            as mergeable,
        bool_and(regexp_matches(versions.source_url, '/history\.(atom|rss)([?#].*)?$')) as from_feed
    from versions
    left join sources using (source_id)
    group by versions.incident_id
),

grouped as (
    select
        raw_incident_id,
        from_feed,
        case
            when mergeable then arg_min(raw_incident_id, (from_feed, raw_incident_id)) over (
                partition by service_id, native_id, mergeable
            )
            else raw_incident_id
        end as incident_id
    from members
),

final as (
    select raw_incident_id, incident_id, from_feed
    from grouped
)

select * from final
