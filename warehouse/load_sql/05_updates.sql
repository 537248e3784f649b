-- Distinct versions of each official update.
MERGE INTO raw_update_versions AS t
USING (
    SELECT incident_id, update_id, version_hash, any_value(source_id) AS source_id, any_value(posted_at) AS posted_at,
           any_value(created_at) AS created_at, any_value(status) AS status, any_value(status_native) AS status_native,
           any_value(body) AS body, min(observed_at) AS first_seen_at, max(observed_at) AS last_seen_at,
           arg_min(source_url, {'t': observed_at, 'u': source_url}) AS source_url
    FROM read_json($path, format = 'newline_delimited', columns = {
        incident_id: 'VARCHAR', update_id: 'VARCHAR', version_hash: 'VARCHAR', source_id: 'VARCHAR',
        posted_at: 'TIMESTAMPTZ', created_at: 'TIMESTAMPTZ', status: 'VARCHAR', status_native: 'VARCHAR',
        body: 'VARCHAR', observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR'})
    GROUP BY incident_id, update_id, version_hash
) AS s
ON t.incident_id = s.incident_id AND t.update_id = s.update_id AND t.version_hash = s.version_hash
WHEN MATCHED THEN UPDATE SET
    source_url = CASE WHEN s.first_seen_at < t.first_seen_at
        OR (s.first_seen_at = t.first_seen_at AND s.source_url < t.source_url)
        THEN s.source_url ELSE t.source_url END,
    first_seen_at = least(t.first_seen_at, s.first_seen_at),
    last_seen_at = greatest(t.last_seen_at, s.last_seen_at)
WHEN NOT MATCHED THEN INSERT BY NAME;
