-- The errors one run recorded, per source and URL.
select source_id, url, error
from ingest_errors
where run_id = $run_id
order by all
