-- The incidents first seen in one run: an incident whose first sighting was a fetch of that run.
select
    incidents.service_id,
    incidents.incident_id,
    incidents.title,
    incidents.status,
    incidents.impact,
    incidents.started_at
from incidents
where exists (
    select 1
    from raw_fetches
    where raw_fetches.run_id = $run_id
        and raw_fetches.source_id = incidents.source_id
        and raw_fetches.fetched_at = incidents.first_seen_at
)
order by incidents.started_at, incidents.incident_id
