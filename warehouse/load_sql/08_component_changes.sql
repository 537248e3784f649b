-- Component state changes the provider recorded itself; the first sighting is kept.
INSERT INTO raw_component_changes
SELECT component_id, changed_at, state, any_value(state_native), any_value(old_state), any_value(incident_id),
       any_value(source_id), min(observed_at), arg_min(source_url, {'t': observed_at, 'u': source_url})
FROM read_json($path, format = 'newline_delimited', columns = {
    component_id: 'VARCHAR', changed_at: 'TIMESTAMPTZ', state: 'VARCHAR', state_native: 'VARCHAR',
    old_state: 'VARCHAR', incident_id: 'VARCHAR', source_id: 'VARCHAR', observed_at: 'TIMESTAMPTZ',
    source_url: 'VARCHAR'})
GROUP BY component_id, changed_at, state
ON CONFLICT (component_id, changed_at, state) DO UPDATE SET
    source_url = CASE WHEN excluded.first_seen_at < first_seen_at
        OR (excluded.first_seen_at = first_seen_at AND excluded.source_url < source_url)
        THEN excluded.source_url ELSE source_url END,
    first_seen_at = least(first_seen_at, excluded.first_seen_at);
