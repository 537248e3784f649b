-- How many runs the warehouse holds besides one (none: that run was the warehouse's first).
select count(*) as runs
from raw_ingest_runs
where run_id <> $run_id
