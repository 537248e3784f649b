-- Analyst view: the components each incident affects (any version, or any update that changed one).
with

versions as (
    select * from raw_incident_versions
),

changes as (
    select * from raw_component_changes
),

named as (
    select incident_id, unnest(component_ids) as component_id from versions where component_ids is not null
    union
    select incident_id, component_id from changes where incident_id is not null
),

final as (
    select distinct incident_id, component_id from named
)

select * from final
