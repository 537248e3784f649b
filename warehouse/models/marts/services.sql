-- The catalog's services, with the providers each depends on and the sources that read their own status posts.
with

services as (
    select * from raw_services
),

final as (
    select service_id, name, aliases, depends_on, coalesce(status_sources, []) as status_sources
    from services
)

select * from final
