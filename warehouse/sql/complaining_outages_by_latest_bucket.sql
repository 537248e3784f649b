-- Outages whose complaints are still high, for an outages view without returned_to_baseline_at: the spike reaches
-- the service's latest counted bucket.
select outage_id
from outages
where ended_at >= (
    select max(bucket_start) + interval 15 minute
    from complaint_counts
    where complaint_counts.service_id = outages.service_id
)
