-- Per service over all time: how many complaint spikes its provider acknowledged, how fast, and how many it did not
-- post about though its status page was read (a service with no status source counts its spikes as untracked).
-- Computed from the outages rows (the evidence), never from a hidden score.
with

outages as (
    select * from outages
),

final as (
    select
        service_id,
        count(distinct incident_id) as incidents,
        to_seconds(cast(median(epoch(time_to_acknowledge)) as bigint)) as median_time_to_acknowledge,
        max(time_to_acknowledge) as worst_time_to_acknowledge,
        count(*) filter (where acknowledgment = 'unacknowledged') as unacknowledged_spikes,
        count(*) filter (where acknowledgment = 'no_status_source') as untracked_spikes,
        count(*) as spikes,
        min(started_at) as first_spike_at,
        max(started_at) as last_spike_at
    from outages
    group by service_id
)

select * from final
