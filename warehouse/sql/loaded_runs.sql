-- The run ids recorded as loaded.
select run_id
from raw_ingest_runs
