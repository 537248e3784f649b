-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): the updates of every incident read (sp_raw: `incidents`, then
-- `scheduled_maintenances`), one row each, with the fields of scrapers.records.IncidentUpdate as
-- scrapers/formats/statuspage_v2.py sets them and whether the parser would read the update to exactly this (`sure`;
-- see statuspage_incidents.sql). The version hash is statuspage_update_versions.sql's.
with

raw as (
    select * from sp_raw
),

statuses as (
    select * from sp_statuses
),

incidents as (
    select filename, unnest(incidents) as incident, generate_subscripts(incidents, 1) as incident_position
    from raw
    union all
    select
        filename,
        unnest(scheduled_maintenances) as incident,
        len(incidents) + generate_subscripts(scheduled_maintenances, 1) as incident_position
    from raw
),

listed as (
    select
        filename,
        incident_position,
        json_str(incident.id) as incident_native_id,
        unnest(incident.incident_updates) as incident_update,
        generate_subscripts(incident.incident_updates, 1) as position
    from incidents
),

typed as (
    select
        filename,
        incident_position,
        position,
        incident_native_id,
        json_str(incident_update.id) as native_id,
        py_iso_utc(json_str(incident_update.created_at)) as created_at,
        coalesce(json_str(incident_update.display_at), '') as display_text,
        json_str_or_null(incident_update.display_at) as display_ok,
        json_str(incident_update.status) as status_native,
        json_str_or_null(incident_update.status) as status_ok,
        coalesce(json_str(incident_update.body), '') as body,
        json_str_or_null(incident_update.body) as body_ok,
        incident_update.affected_components as affected
    from listed
),

timed as (
    select
        typed.*,
        case when display_text = '' then created_at else py_iso_utc(display_text) end as posted_at,
        coalesce(statuses.value, 'unknown') as status
    from typed
    left join statuses on statuses.native = typed.status_native
),

final as (
    select
        filename,
        incident_position,
        position,
        incident_native_id,
        native_id,
        posted_at,
        created_at,
        py_iso(posted_at) as posted_iso,
        py_iso(created_at) as created_iso,
        status,
        status_native,
        body,
        affected,
        coalesce(
            native_id is not null
            and created_at is not null
            and display_ok
            and posted_at is not null
            and status_ok
            and body_ok,
            false
        ) as sure
    from timed
)

select * from final
