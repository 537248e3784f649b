-- Component state changes the provider recorded itself; the first sighting is kept.
MERGE INTO raw_component_changes AS t
USING (
    SELECT component_id, changed_at, state, any_value(state_native) AS state_native,
           any_value(old_state) AS old_state, any_value(incident_id) AS incident_id,
           any_value(source_id) AS source_id, min(observed_at) AS first_seen_at,
           arg_min(source_url, {'t': observed_at, 'u': source_url}) AS source_url
    FROM read_json($path, format = 'newline_delimited', columns = {
        component_id: 'VARCHAR', changed_at: 'TIMESTAMPTZ', state: 'VARCHAR', state_native: 'VARCHAR',
        old_state: 'VARCHAR', incident_id: 'VARCHAR', source_id: 'VARCHAR', observed_at: 'TIMESTAMPTZ',
        source_url: 'VARCHAR'})
    GROUP BY component_id, changed_at, state
) AS s
ON t.component_id = s.component_id AND t.changed_at = s.changed_at AND t.state = s.state
WHEN MATCHED THEN UPDATE SET
    source_url = CASE WHEN s.first_seen_at < t.first_seen_at
        OR (s.first_seen_at = t.first_seen_at AND s.source_url < t.source_url)
        THEN s.source_url ELSE t.source_url END,
    first_seen_at = least(t.first_seen_at, s.first_seen_at)
WHEN NOT MATCHED THEN INSERT BY NAME;
