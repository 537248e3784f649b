-- The complaint counts of a selection's window and services (every service when the list is empty).
select service_id, bucket_start, reports, baseline
from complaint_counts
where bucket_start between $start and $end
    and (len($services::varchar[]) = 0 or list_contains($services::varchar[], service_id))
order by service_id, bucket_start
