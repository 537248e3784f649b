-- Analyst view: one row per component of a status page, with its last known state and when it was last read.
with

observations as (
    select * from raw_component_observations
),

status as (
    select * from stg_source_status
),

latest as (
    select
        component_id,
        arg_max(service_id, observed_at) as service_id,
        arg_max(source_id, observed_at) as source_id,
        arg_max(native_id, observed_at) as native_id,
        arg_max(name, observed_at) as name,
        arg_max(group_name, observed_at) as group_name,
        arg_max(state, observed_at) as state,
        arg_max(state_native, observed_at) as state_native,
        max(observed_at) as state_observed_at
    from observations
    group by component_id
),

final as (
    select
        latest.service_id,
        latest.source_id,
        latest.component_id,
        latest.name,
        latest.group_name,
        latest.state,
        latest.state_native,
        latest.native_id,
        latest.state_observed_at,
        status.last_success_at as last_read_at,
        coalesce(status.latest_failed, false) as stale
    from latest
    left join status using (source_id)
)

select * from final
