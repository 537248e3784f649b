-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): each incident read (sp_incident_fields) with its version hash,
-- scrapers.landing_rows.version_hash of scrapers.records.record_to_json(incident): sha256 of json.dumps(...,
-- sort_keys=True), whose text the macros of python_values.sql give, the keys in sorted order, the first 32 hex digits.
-- A time (isoformat) and an impact or status of our vocabulary need no escaping (py_json_plain).
select
    *,
    left(sha256(
        '{"component_ids": ['
        || array_to_string(list_transform(component_ids, lambda id: py_json_str(id)), ', ')
        || '], "declared_end": null, "declared_start": null, "impact": ' || py_json_plain(impact)
        || ', "impact_native": ' || py_json_str(impact_native)
        || ', "native_id": ' || py_json_str(native_id)
        || ', "region": null, "regions": [], "resolved_at": ' || py_json_plain(resolved_iso)
        || ', "service_key": null, "started_at": ' || py_json_plain(started_iso)
        || ', "status": ' || py_json_str(status)
        || ', "status_native": ' || py_json_str(status_native)
        || ', "title": ' || py_json_str(title)
        || ', "url": ' || py_json_str(url) || '}'
    ), 32) as version_hash
from sp_incident_fields
