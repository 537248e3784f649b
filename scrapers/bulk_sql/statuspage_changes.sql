-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): the component changes each update records
-- (`affected_components`), with the fields of scrapers.records.ComponentChange and whether the parser would read the
-- change to exactly this (`sure`). The parser skips an entry that is no object or has no `code` and takes a null code
-- as the text "None"; the two look alike here (both null), so either leaves the file to the parser.
with

updates as (
    select * from sp_updates
),

states as (
    select * from sp_states
),

listed as (
    select
        filename,
        incident_native_id,
        posted_iso,
        unnest(affected) as affected
    from updates
),

typed as (
    select
        filename,
        incident_native_id,
        posted_iso as changed_iso,
        json_str(affected.code) as component_native_id,
        json_str(affected.new_status) as state_native,
        json_str(affected.old_status) as old_state_native,
        json_str_or_null(affected.new_status) and json_str_or_null(affected.old_status) as states_ok
    from listed
),

final as (
    select
        typed.filename,
        typed.component_native_id,
        typed.changed_iso,
        coalesce(new_state.value, 'unknown') as state,
        typed.state_native,
        case when typed.old_state_native is not null then coalesce(old_state.value, 'unknown') end as old_state,
        typed.incident_native_id,
        coalesce(typed.component_native_id is not null and typed.states_ok, false) as sure
    from typed
    left join states as new_state on new_state.native = typed.state_native
    left join states as old_state on old_state.native = typed.old_state_native
)

select * from final
