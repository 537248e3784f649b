-- The services a full refresh of stg_complaint_counts computes, each with a rough size of its series: its count rows,
-- twice over when it has several count sources (each source's series and their total). The series of a service read
-- that service's readings only, so a big refresh runs in batches of services (refresh_table), each batch one scope
-- of rows without a source (every series of the service, from its first bucket). A service with posts only weighs 0.
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
    select service_id, sum(weight)::bigint as weight
    from per_service
    group by service_id
    order by service_id
)

select * from final
