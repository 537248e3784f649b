-- One row per complaint spike, joined to the official incident that best matches it: among the service's incidents
-- whose window overlaps the spike, the highest impact, then the one whose first post is closest to the spike's start.
with

spikes as (
    select * from complaint_spikes
),

incidents as (
    select * from stg_incidents
),

first_posts as (
    select incident_id, min(posted_at) as first_posted_at
    from stg_incident_updates
    group by incident_id
),

impact_rank as (
    select * from (values
        ('critical', 5), ('major', 4), ('minor', 3), ('none', 2), ('maintenance', 1), ('unknown', 0)
    ) as t(impact, impact_rank)
),

candidates as (
    select
        spikes.service_id,
        spikes.started_at,
        incidents.incident_id,
        incidents.resolved_at,
        coalesce(first_posts.first_posted_at, incidents.started_at) as acknowledged_at,
        row_number() over (
            partition by spikes.service_id, spikes.started_at
            order by
                coalesce(impact_rank.impact_rank, 0) desc,
                abs(epoch(coalesce(first_posts.first_posted_at, incidents.started_at) - spikes.started_at)),
                incidents.incident_id
        ) as preference
    from spikes
    join incidents
        on incidents.service_id = spikes.service_id
        and incidents.started_at <= spikes.ended_at
        and coalesce(incidents.resolved_at, 'infinity'::timestamptz) >= spikes.started_at
    left join first_posts using (incident_id)
    left join impact_rank on impact_rank.impact = incidents.impact
),

best as (
    select * from candidates where preference = 1
),

final as (
    select
        spikes.service_id || '@' || strftime(spikes.started_at, '%Y-%m-%dT%H:%MZ') as outage_id,
        spikes.service_id,
        spikes.started_at,
        best.acknowledged_at,
        best.acknowledged_at - spikes.started_at as time_to_acknowledge,
        spikes.peak_at,
        spikes.peak_reports,
        spikes.ended_at,
        best.incident_id,
        best.resolved_at,
        spikes.baseline_at_peak,
        spikes.buckets,
        spikes.source_ids,
        spikes.spike_rule
    from spikes
    left join best using (service_id, started_at)
)

select * from final
