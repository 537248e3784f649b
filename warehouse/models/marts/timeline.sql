-- Every event in time order: official posts beside complaint spike starts, peaks and ends.
with

updates as (
    select * from stg_incident_updates
),

incidents as (
    select * from stg_incidents
),

outages as (
    select * from outages
),

removals as (
    select * from stg_removals
),

official as (
    select
        updates.posted_at as occurred_at,
        incidents.service_id,
        'official_update' as kind,
        updates.incident_id,
        incidents.title || ' [' || updates.status || ']' || coalesce(
            ' (removed by the provider at ' || strftime(coalesce(removed.removed_at, gone.removed_at), '%Y-%m-%d %H:%MZ')
            || ')',
            ''
        ) as title,
        cast(null as bigint) as reports,
        updates.source_id,
        updates.status,
        updates.body as detail,
        updates.source_url,
        updates.first_seen_at as fetched_at,
        -- the provider's own page, when it has one (not the endpoint we read, as AWS's data.json entries give)
        nullif(nullif(incidents.url, updates.source_url), incidents.source_url) as public_url
    from updates
    join incidents using (incident_id)
    left join removals as removed
        on removed.incident_id = updates.incident_id and removed.update_id = updates.update_id
    left join removals as gone
        on gone.incident_id = updates.incident_id and gone.update_id is null
),

spike_events as (
    select
        unnest([started_at, peak_at, ended_at]) as occurred_at,
        service_id,
        unnest(['spike_start', 'spike_peak', 'spike_end']) as kind,
        incident_id,
        source_ids,
        peak_reports,
        outage_id,
        acknowledgment
    from outages
),

complaint_readings as (
    -- what each complaint source read, per service and bucket: count readings (the URL read), and counted posts (the
    -- URL the catalog polls the source from: the pages read carry cursors no reader can follow)
    select service_id, source_id, bucket_start, source_url, observed_at as seen_at
    from raw_complaint_counts
    union all
    select complaints.service_id, complaints.source_id, time_bucket(rule.bucket_width, complaints.posted_at),
        coalesce(sources.url, complaints.source_url), complaints.first_seen_at
    from stg_complaints as complaints
    cross join stg_spike_rule as rule
    left join raw_sources as sources using (source_id)
    where complaints.counted
),

source_citations as (
    -- the reading each source supplied a bucket with, to cite (bucket_start NULL: its latest reading of the service)
    select
        service_id,
        source_id,
        bucket_start,
        arg_max(source_url, {'t': seen_at, 'u': source_url}) as source_url,
        max(seen_at) as fetched_at
    from complaint_readings
    group by grouping sets ((service_id, source_id, bucket_start), (service_id, source_id))
),

spike_sources as (
    -- each of a spike's sources cited by its own URL, in the order of source_ids (space-separated: a URL has none)
    select
        cited.outage_id,
        cited.kind,
        string_agg(coalesce(at_bucket.source_url, latest.source_url), ' ' order by cited.position) as source_url,
        max(coalesce(at_bucket.fetched_at, latest.fetched_at)) as fetched_at
    from (
        select
            outage_id,
            kind,
            service_id,
            case when kind = 'spike_end' then occurred_at - interval 15 minute else occurred_at end as bucket_start,
            unnest(string_split(source_ids, ',')) as source_id,
            generate_subscripts(string_split(source_ids, ','), 1) as position
        from spike_events
    ) as cited
    left join source_citations as at_bucket
        on at_bucket.service_id = cited.service_id
        and at_bucket.source_id = cited.source_id
        and at_bucket.bucket_start = cited.bucket_start
    left join source_citations as latest
        on latest.service_id = cited.service_id
        and latest.source_id = cited.source_id
        and latest.bucket_start is null
    group by cited.outage_id, cited.kind
),

spike_rows as (
    select
        spike_events.occurred_at,
        spike_events.service_id,
        spike_events.kind,
        spike_events.incident_id,
        case spike_events.kind
            when 'spike_start' then 'Complaints rise above baseline' || (
                case when spike_events.acknowledgment = 'no_status_source' then ' (no status page tracked)' else '' end
            )
            when 'spike_peak' then 'Complaints peak'
            else 'Complaints fall back under the spike line'
        end as title,
        case when spike_events.kind = 'spike_end' then null else counts.reports end as reports,
        spike_events.source_ids as source_id,
        cast(null as varchar) as status,
        spike_events.outage_id as detail,
        spike_sources.source_url,
        spike_sources.fetched_at,
        cast(null as varchar) as public_url
    from spike_events
    left join stg_complaint_counts as counts
        on counts.source_id = '*'
        and counts.service_id = spike_events.service_id
        and counts.bucket_start = spike_events.occurred_at
    left join spike_sources
        on spike_sources.outage_id = spike_events.outage_id
        and spike_sources.kind = spike_events.kind
),

component_rows as (
    select
        states.changed_at as occurred_at,
        components.service_id,
        'component_change' as kind,
        cast(null as varchar) as incident_id,
        components.name || ': ' || coalesce(states.previous_state, '?') || ' → ' || states.state || (
            case when states.time_source = 'observed'
                then ' (observed at ' || strftime(states.changed_at, '%Y-%m-%d %H:%MZ') || ')' else '' end
        ) as title,
        cast(null as bigint) as reports,
        components.source_id,
        states.state as status,
        states.evidence as detail,
        states.source_url,
        case when states.time_source = 'observed' then states.changed_at end as fetched_at,
        cast(null as varchar) as public_url
    from component_states as states
    join components using (component_id)
    -- a first reading is an onset when it shows the component in trouble
    where states.previous_state is not null or states.state not in ('operational', 'unknown')
),

revision_rows as (
    select
        revisions.seen_at as occurred_at,
        incidents.service_id,
        'revision' as kind,
        revisions.incident_id,
        incidents.title || ': ' || revisions.field || ' changed' as title,
        cast(null as bigint) as reports,
        incidents.source_id,
        cast(null as varchar) as status,
        coalesce(revisions.old_value, '∅') || ' → ' || coalesce(revisions.new_value, '∅') as detail,
        incidents.source_url,
        revisions.seen_at as fetched_at,
        nullif(incidents.url, incidents.source_url) as public_url
    from incident_revisions as revisions
    join incidents using (incident_id)
    -- a new update is already an official_update row; status moves are told by the posts themselves
    where revisions.field in (
        'title', 'impact', 'started_at', 'update_body', 'update_replaced', 'update_posted_at', 'update_backdated',
        'update_removed', 'incident_removed'
    )
),

unioned as (
    select * from official
    union all
    select * from spike_rows
    union all
    select * from component_rows
    union all
    select * from revision_rows
),

row_notes as (
    -- the catalog notes of each row's source(s) ("a reconstruction replayed from..."), distinct, ' | '-separated:
    -- computed once per distinct source_id (a spike's lists several), joined on equality
    select cited.source_id, string_agg(distinct sources.note, ' | ' order by sources.note) as note
    from (
        select source_id, unnest(string_split(source_id, ',')) as one_source_id
        from (select distinct source_id from unioned where source_id is not null)
    ) as cited
    join raw_sources as sources on sources.source_id = cited.one_source_id
    where sources.note is not null
    group by cited.source_id
),

final as (
    select
        occurred_at,
        service_id,
        kind,
        incident_id,
        title,
        reports,
        source_id,
        status,
        detail,
        source_url,
        fetched_at,
        public_url,
        row_notes.note
    from unioned
    left join row_notes using (source_id)
    order by occurred_at, service_id, kind, incident_id
)

select * from final
