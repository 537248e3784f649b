-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): each update read (sp_update_fields) with its version hash, as
-- statuspage_incident_versions.sql computes an incident's. A time (isoformat: digits, -, :, T, ., +) and a status (our
-- vocabulary) need no escaping; py_json_plain writes them as json.dumps does.
select
    *,
    left(sha256(
        '{"body": ' || py_json_str(body)
        || ', "created_at": ' || py_json_plain(created_iso)
        || ', "incident_native_id": ' || py_json_str(incident_native_id)
        || ', "native_id": ' || py_json_str(native_id)
        || ', "posted_at": ' || py_json_plain(posted_iso)
        || ', "status": ' || py_json_plain(status)
        || ', "status_native": ' || py_json_str(status_native) || '}'
    ), 32) as version_hash
from sp_update_fields
