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

official as (
    select
        updates.posted_at as occurred_at,
        incidents.service_id,
        'official_update' as kind,
        updates.incident_id,
        incidents.title || ' [' || updates.status || ']' as title,
        cast(null as bigint) as reports,
        updates.source_id,
        updates.status,
        updates.body as detail,
        updates.source_url,
        updates.first_seen_at as fetched_at
    from updates
    join incidents using (incident_id)
),

spike_events as (
    select
        unnest([started_at, peak_at, ended_at]) as occurred_at,
        service_id,
        unnest(['spike_start', 'spike_peak', 'spike_end']) as kind,
        incident_id,
        source_ids,
        peak_reports,
        outage_id
    from outages
),

spike_rows as (
    select
        spike_events.occurred_at,
        spike_events.service_id,
        spike_events.kind,
        spike_events.incident_id,
        case spike_events.kind
            when 'spike_start' then 'Complaints rise above baseline'
            when 'spike_peak' then 'Complaints peak'
            else 'Complaints fall back under the spike line'
        end as title,
        case when spike_events.kind = 'spike_end' then null else counts.reports end as reports,
        spike_events.source_ids as source_id,
        cast(null as varchar) as status,
        spike_events.outage_id as detail,
        cast(null as varchar) as source_url,
        cast(null as timestamptz) as fetched_at
    from spike_events
    left join stg_complaint_counts as counts
        on counts.service_id = spike_events.service_id
        and counts.bucket_start = spike_events.occurred_at
),

unioned as (
    select * from official
    union all
    select * from spike_rows
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
        fetched_at
    from unioned
    order by occurred_at, service_id, kind, incident_id
)

select * from final
