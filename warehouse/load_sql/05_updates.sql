-- Distinct versions of each official update.
INSERT INTO raw_update_versions
SELECT incident_id, update_id, version_hash, any_value(source_id), any_value(posted_at), any_value(created_at),
       any_value(status), any_value(status_native), any_value(body),
       min(observed_at), max(observed_at), arg_min(source_url, {'t': observed_at, 'u': source_url})
FROM read_json($path, format = 'newline_delimited', columns = {
    incident_id: 'VARCHAR', update_id: 'VARCHAR', version_hash: 'VARCHAR', source_id: 'VARCHAR',
    posted_at: 'TIMESTAMPTZ', created_at: 'TIMESTAMPTZ', status: 'VARCHAR', status_native: 'VARCHAR',
    body: 'VARCHAR', observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR'})
GROUP BY incident_id, update_id, version_hash
ON CONFLICT (incident_id, update_id, version_hash) DO UPDATE SET
    source_url = CASE WHEN excluded.first_seen_at < first_seen_at
        OR (excluded.first_seen_at = first_seen_at AND excluded.source_url < source_url)
        THEN excluded.source_url ELSE source_url END,
    first_seen_at = least(first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(last_seen_at, excluded.last_seen_at);
