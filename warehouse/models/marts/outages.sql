-- One row per complaint spike, joined to the official incident that best matches it: among the service's incidents
-- whose window overlaps the spike, the highest impact, then the one whose first post is closest to the spike's start.
with

spikes as (
    select * from complaint_spikes
),

incidents as (
    select * from stg_incidents
),

counts as (
    select * from stg_complaint_counts where source_id = '*'
),

rule as (
    select * from stg_spike_rule
),

services as (
    select * from raw_services
),

watched as (
    -- services the catalog reads a status source for (or, loaded before the catalog said so, that have incidents)
    select service_id from services where len(coalesce(status_sources, [])) > 0
    union
    select distinct service_id from incidents where service_id is not null
),

candidates as (
    select
        spikes.service_id,
        spikes.started_at,
        incidents.incident_id,
        incidents.resolved_at,
        incidents.first_posted_at as acknowledged_at,
        row_number() over (
            partition by spikes.service_id, spikes.started_at
            order by
                impact_rank(incidents.impact) desc,
                abs(epoch(incidents.first_posted_at - spikes.started_at)),
                incidents.incident_id
        ) as preference
    from spikes
    join incidents
        on incidents.service_id = spikes.service_id
        and incidents.started_at <= spikes.ended_at
        and coalesce(incidents.resolved_at, 'infinity'::timestamptz) >= spikes.started_at
),

best as (
    select * from candidates where preference = 1
),

back_buckets as (
    -- buckets whose reports are back near the baseline
    select counts.service_id, counts.bucket_start
    from counts
    cross join rule
    where counts.baseline is not null and counts.reports <= rule.back_ratio * greatest(counts.baseline, 1)
),

back_to_baseline as (
    -- the first of them after the peak (an as-of join: the nearest later one, not every later one)
    select spikes.service_id, spikes.started_at, back_buckets.bucket_start as returned_to_baseline_at
    from spikes
    asof join back_buckets
        on back_buckets.service_id = spikes.service_id
        and back_buckets.bucket_start > spikes.peak_at
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
        back_to_baseline.returned_to_baseline_at,
        back_to_baseline.returned_to_baseline_at - best.resolved_at as resolution_gap,
        best.incident_id is not null as acknowledged,
        case
            when best.incident_id is not null then 'acknowledged'
            when watched.service_id is not null then 'unacknowledged'
            else 'no_status_source'
        end as acknowledgment,
        spikes.baseline_at_peak,
        spikes.buckets,
        spikes.source_ids,
        spikes.sources_agreed,
        spikes.spike_rule,
        rule.rule_params as spike_rule_params
    from spikes
    cross join rule
    left join best using (service_id, started_at)
    left join back_to_baseline using (service_id, started_at)
    left join watched using (service_id)
)

select * from final
