-- The scope of a full refresh of stg_complaint_counts: every service, each with a rough size of its series (its count
-- rows, twice over when it has several count sources: each source's series and their total; a service with posts
-- only weighs 0). The series of a service read that service's readings only, so the refresh runs in batches of
-- services (refresh_table), each batch a scope of rows without a source or since: every series of the service, from
-- its first bucket. Same first columns as complaint_refresh_scope.sql (the scope of an incremental refresh).
with

counts as (
    select * from raw_complaint_counts
),

services as (
    select * from raw_services
),

per_service as (
    select service_id, count(*) * (case when count(distinct source_id) > 1 then 2 else 1 end) as weight
    from counts
    group by service_id
    union all
    select service_id, 0
    from services
),

final as (
    select service_id, null::varchar as source_id, null::timestamptz as since, sum(weight)::bigint as weight
    from per_service
    group by service_id
    order by service_id
)

select * from final
