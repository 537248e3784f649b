-- Analyst view: component state changes, one row per change. Two kinds of evidence are merged: the states that
-- successive snapshots showed, and the changes the provider recorded in its updates (Statuspage affected_components).
with

observations as (
    select component_id, observed_at as changed_at, state, 'snapshot' as evidence, source_url
    from raw_component_observations
),

recorded as (
    select component_id, changed_at, state, 'update' as evidence, source_url
    from raw_component_changes
),

evidence as (
    select * from observations
    union all
    select * from recorded
),

ordered as (
    select
        *,
        lag(state) over (partition by component_id order by changed_at, evidence) as previous_state
    from evidence
),

final as (
    select component_id, changed_at, state, previous_state, evidence, source_url
    from ordered
    where previous_state is distinct from state
)

select * from final
