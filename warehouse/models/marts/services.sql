-- The catalog's services, with the providers each depends on.
with

services as (
    select * from raw_services
),

final as (
    select service_id, name, aliases, depends_on
    from services
)

select * from final
