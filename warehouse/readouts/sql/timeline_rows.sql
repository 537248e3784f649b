-- The timeline rows of a selection: start <= occurred_at <= end, of the services listed (every service when the list
-- is empty), in the export columns (readouts.selection.EXPORT_COLUMNS). A spike row's source_id lists several count
-- sources: each is named once, sorted, so that exports are stable (the view lists them so already, and its source_url
-- gives each one's own URL, space-separated, in the same order). note: the catalog notes of the row's sources.
select
    occurred_at,
    service_id,
    kind,
    incident_id,
    title,
    reports,
    array_to_string(list_sort(list_distinct(string_split(source_id, ','))), ',') as source_id,
    status,
    detail,
    source_url,
    fetched_at,
    public_url,
    note
from timeline
where occurred_at between $start and $end
    and (len($services::varchar[]) = 0 or list_contains($services::varchar[], service_id))
order by occurred_at, service_id, kind, incident_id, title, detail, source_url
