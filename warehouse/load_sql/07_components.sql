-- Components as each distinct document showed them.
INSERT INTO raw_component_observations
SELECT component_id, sha256, any_value(source_id), any_value(service_id), any_value(native_id), any_value(name),
       any_value(group_name), any_value(state), any_value(state_native), min(observed_at),
       arg_min(source_url, {'t': observed_at, 'u': source_url})
FROM read_json($path, format = 'newline_delimited', columns = {
    component_id: 'VARCHAR', sha256: 'VARCHAR', source_id: 'VARCHAR', service_id: 'VARCHAR', native_id: 'VARCHAR',
    name: 'VARCHAR', group_name: 'VARCHAR', state: 'VARCHAR', state_native: 'VARCHAR', observed_at: 'TIMESTAMPTZ',
    source_url: 'VARCHAR'})
GROUP BY component_id, sha256
ON CONFLICT (component_id, sha256) DO UPDATE SET
    source_url = CASE WHEN excluded.observed_at < observed_at THEN excluded.source_url ELSE source_url END,
    observed_at = least(observed_at, excluded.observed_at);
