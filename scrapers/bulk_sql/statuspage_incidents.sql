-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): every incident of each body read (`incidents`, then
-- `scheduled_maintenances`, as scrapers/formats/statuspage_v2.py lists them), one row per incident and file, with
-- the fields of scrapers.records.Incident as the parser sets them and whether the parser would read it to exactly this (`sure`):
-- every field it passes through str() a JSON string (or null where it allows none), every time one DuckDB reads as
-- Python does. A file with any incident not sure goes to the Python parser. Inputs: sp_raw (the fields read, as
-- JSON), sp_impacts and sp_statuses (the parser's IMPACT and STATUS maps). The version hash is computed from these
-- columns once they are a table (statuspage_incident_versions.sql), so that no expression is evaluated twice.
with

raw as (
    select * from sp_raw
),

impacts as (
    select * from sp_impacts
),

statuses as (
    select * from sp_statuses
),

-- (unnest and generate_subscripts side by side: no copy of each incident, updates and all, into a new struct)
listed as (
    select filename, unnest(incidents) as incident, generate_subscripts(incidents, 1) as position
    from raw
    union all
    select
        filename,
        unnest(scheduled_maintenances) as incident,
        len(incidents) + generate_subscripts(scheduled_maintenances, 1) as position
    from raw
),

typed as (
    select
        filename,
        position,
        json_str(incident.id) as native_id,
        json_str(incident.name) as title,
        json_str(incident.impact) as impact_native,
        json_str_or_null(incident.impact) as impact_ok,
        json_str(incident.status) as status_native,
        json_str_or_null(incident.status) as status_ok,
        py_iso_utc(json_str(incident.created_at)) as created_at,
        coalesce(json_str(incident.started_at), '') as started_text,
        json_str_or_null(incident.started_at) as started_ok,
        coalesce(json_str(incident.resolved_at), '') as resolved_text,
        json_str_or_null(incident.resolved_at) as resolved_ok,
        nullif(json_str(incident.shortlink), '') as url,
        json_str_or_null(incident.shortlink) as url_ok,
        coalesce(
            list_transform(incident.components, lambda component: json_str(component.id)), []::VARCHAR[]
        ) as component_ids
    from listed
),

timed as (
    select
        typed.*,
        case when started_text = '' then created_at else py_iso_utc(started_text) end as started_at,
        case when resolved_text <> '' then py_iso_utc(resolved_text) end as resolved_at,
        coalesce(impacts.value, 'unknown') as impact,
        coalesce(statuses.value, 'unknown') as status
    from typed
    left join impacts on impacts.native = typed.impact_native
    left join statuses on statuses.native = typed.status_native
),

final as (
    select
        filename,
        position,
        native_id,
        title,
        impact,
        impact_native,
        status,
        status_native,
        started_at,
        resolved_at,
        py_iso(started_at) as started_iso,
        py_iso(resolved_at) as resolved_iso,
        url,
        component_ids,
        status = 'scheduled' or impact = 'maintenance' as planned,
        coalesce(
            native_id is not null
            and title is not null
            and impact_ok
            and status_ok
            and created_at is not null
            and started_ok
            and started_at is not null
            and resolved_ok
            and (resolved_text = '' or resolved_at is not null)
            and url_ok
            and len(list_filter(component_ids, lambda id: id is null)) = 0,
            false
        ) as sure
    from timed
)

select * from final
