-- Analyst view: the regions or locations each incident names (any version).
with

versions as (
    select * from raw_incident_versions
),

named as (
    select incident_id, unnest(regions) as region from versions where regions is not null
    union
    select incident_id, region from versions where region is not null
),

final as (
    select distinct incident_id, region from named
)

select * from final
