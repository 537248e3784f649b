-- The acknowledgment ledger for a chosen period: spikes that began in [since, until).
-- Example: select * from acknowledgment_ledger_between('2021-12-01', '2022-01-01');
CREATE OR REPLACE MACRO acknowledgment_ledger_between(since, until) AS TABLE
with

outages as (
    select * from outages
    where started_at >= cast(since as timestamptz) and started_at < cast(until as timestamptz)
),

final as (
    select
        service_id,
        count(distinct incident_id) as incidents,
        to_seconds(cast(median(epoch(time_to_acknowledge)) as bigint)) as median_time_to_acknowledge,
        max(time_to_acknowledge) as worst_time_to_acknowledge,
        count(*) filter (where acknowledgment = 'unacknowledged') as unacknowledged_spikes,
        count(*) filter (where acknowledgment = 'no_status_source') as untracked_spikes,
        count(*) as spikes
    from outages
    group by service_id
)

select * from final
