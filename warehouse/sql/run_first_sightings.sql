-- Whether any raw incident version was first seen at the time of a fetch of one run (if none was, no incident's
-- first sighting, the earliest of its versions', is a fetch of that run: sql/run_new_incidents.sql has no row).
select exists (
    select 1
    from raw_incident_versions
    where raw_incident_versions.first_seen_at in (
        select raw_fetches.fetched_at from raw_fetches where raw_fetches.run_id = $run_id
    )
) as sighted
