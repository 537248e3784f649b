-- Analyst view: component state changes, one row per change. Two kinds of evidence are merged: the states that
-- successive snapshots showed (dated by our read: time_source 'observed'), and the changes the provider recorded
-- itself (Statuspage affected_components, Slack's incident times: time_source 'provider'). The first reading of a
-- component is a change into its state (from an unknown one), so an onset seen only by a snapshot is not lost.
with

snapshots as (
    select * from raw_component_observations
),

provider_changes as (
    select * from raw_component_changes
),

observations as (
    -- a read showing the state the provider already said the component left (a lagging endpoint or cache, e.g.
    -- Slack's current incidents after its history resolved one) is a stale read, not a change back
    select
        snapshots.component_id,
        snapshots.observed_at as changed_at,
        snapshots.state,
        'snapshot' as evidence,
        'observed' as time_source,
        snapshots.source_url,
        cast(null as varchar) as old_state
    from snapshots
    asof left join provider_changes as latest
        on latest.component_id = snapshots.component_id
        and latest.changed_at <= snapshots.observed_at
    where not coalesce(latest.old_state = snapshots.state and latest.state <> snapshots.state, false)
),

recorded as (
    select component_id, changed_at, state, 'update' as evidence, 'provider' as time_source, source_url, old_state
    from provider_changes
),

evidence as (
    select * from observations
    union all
    select * from recorded
),

ordered as (
    select
        *,
        -- the state before: the previous evidence's, else the one the provider says it left
        coalesce(lag(state) over (partition by component_id order by changed_at, evidence), old_state)
            as previous_state
    from evidence
),

final as (
    select component_id, changed_at, state, previous_state, evidence, source_url, time_source
    from ordered
    where previous_state is distinct from state
)

select * from final
