-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): the landing rows of the taken items (bulk_taken), one query per
-- landing table, each row with the fields and in the form scrapers/landing_rows.py gives it. Each query follows a
-- comment line that names its landing table.

-- table: incidents
select
    incidents.native_id,
    incidents.title,
    incidents.impact,
    incidents.impact_native,
    incidents.status,
    incidents.status_native,
    incidents.started_iso as started_at,
    incidents.resolved_iso as resolved_at,
    incidents.url,
    null::varchar as service_key,
    null::varchar as region,
    []::varchar[] as regions,
    list_transform(incidents.component_ids, lambda id: files.source_id || ':' || id) as component_ids,
    null::varchar as declared_start,
    null::varchar as declared_end,
    files.source_id || ':' || incidents.native_id as incident_id,
    incidents.version_hash,
    files.source_id,
    files.service_id,
    files.observed_at,
    files.source_url
from bulk_taken
join bulk_files as files using (item)
join sp_incidents as incidents using (filename)
order by files.item, incidents.position

-- table: updates
select
    updates.incident_native_id,
    updates.native_id,
    updates.posted_iso as posted_at,
    updates.created_iso as created_at,
    updates.status,
    updates.status_native,
    updates.body,
    files.source_id || ':' || updates.incident_native_id as incident_id,
    updates.native_id as update_id,
    updates.version_hash,
    files.source_id,
    files.observed_at,
    files.source_url
from bulk_taken
join bulk_files as files using (item)
join sp_updates as updates using (filename)
order by files.item, updates.incident_position, updates.position

-- table: components
select
    components.native_id,
    components.name,
    components.group_name,
    components.state,
    components.state_native,
    files.source_id || ':' || components.native_id as component_id,
    files.sha256,
    files.source_id,
    files.service_id,
    files.observed_at,
    files.source_url
from bulk_taken
join bulk_files as files using (item)
join sp_components as components using (filename)
where not components.is_group
order by files.item, components.position

-- table: component_changes
select
    changes.component_native_id,
    changes.changed_iso as changed_at,
    changes.state,
    changes.state_native,
    changes.old_state,
    changes.incident_native_id,
    files.source_id || ':' || changes.component_native_id as component_id,
    files.source_id || ':' || changes.incident_native_id as incident_id,
    files.source_id,
    files.observed_at,
    files.source_url
from bulk_taken
join bulk_files as files using (item)
join sp_changes as changes using (filename)
order by files.item

-- table: documents
with

incident_versions as (
    select filename, list({'native_id': native_id, 'version_hash': version_hash} order by position) as versions
    from sp_incidents
    group by filename
),

update_versions as (
    select
        filename,
        list(
            {'incident_native_id': incident_native_id, 'native_id': native_id, 'version_hash': version_hash}
            order by incident_position, position
        ) as versions
    from sp_updates
    group by filename
)

select
    files.source_id,
    files.source_url as url,
    files.sha256,
    files.observed_at as parsed_at,
    coalesce(list_transform(incident_versions.versions, lambda version: {
        'incident_id': files.source_id || ':' || version.native_id, 'version_hash': version.version_hash
    }), []) as incident_versions,
    coalesce(list_transform(update_versions.versions, lambda version: {
        'incident_id': files.source_id || ':' || version.incident_native_id,
        'update_id': version.native_id,
        'version_hash': version.version_hash
    }), []) as update_versions
from bulk_taken
join bulk_files as files using (item)
left join incident_versions using (filename)
left join update_versions using (filename)
order by files.item
