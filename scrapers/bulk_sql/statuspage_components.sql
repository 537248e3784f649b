-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): the page's components (top-level `components`), one row per
-- entry with the fields of scrapers.records.Component and whether the parser would read it to exactly this (`sure`).
-- A group (`"group": true`) is a heading: it names the group of the components whose group_id is its id (the last
-- group of that id, as the parser's dict keeps it; a null group_id looks up the id "None", as str(None) does) and is
-- not itself a component (`is_group`).
with

raw as (
    select * from sp_raw
),

states as (
    select * from sp_states
),

listed as (
    select
        filename,
        unnest(list_transform(components, lambda component, position: {
            'position': position, 'component': component
        })) as entry
    from raw
),

typed as (
    select
        filename,
        entry.position as position,
        json_str(entry.component.id) as native_id,
        json_str(entry.component.name) as name,
        case entry.component."group" when 'true' then true when 'false' then false end as is_group,
        entry.component."group" is null as group_absent,
        case when entry.component.group_id is null then 'None' else json_str(entry.component.group_id) end as group_key,
        json_str(entry.component.status) as state_native,
        json_str_or_null(entry.component.status) as state_ok
    from listed
),

groups as (
    select filename, native_id, arg_max(name, position) as name
    from typed
    where is_group
    group by filename, native_id
),

final as (
    select
        typed.filename,
        typed.position,
        coalesce(typed.is_group, false) as is_group,
        typed.native_id,
        typed.name,
        groups.name as group_name,
        coalesce(states.value, 'unknown') as state,
        typed.state_native,
        coalesce(
            typed.native_id is not null
            and typed.name is not null
            and (typed.is_group is not null or typed.group_absent)
            and typed.group_key is not null
            and typed.state_ok,
            false
        ) as sure
    from typed
    left join groups on groups.filename = typed.filename and groups.native_id = typed.group_key
    left join states on states.native = typed.state_native
)

select * from final
