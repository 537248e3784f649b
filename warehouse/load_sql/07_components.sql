-- Components as each distinct document showed them.
MERGE INTO raw_component_observations AS t
USING (
    SELECT component_id, sha256, any_value(source_id) AS source_id, any_value(service_id) AS service_id,
           any_value(native_id) AS native_id, any_value(name) AS name, any_value(group_name) AS group_name,
           any_value(state) AS state, any_value(state_native) AS state_native, min(observed_at) AS observed_at,
           arg_min(source_url, {'t': observed_at, 'u': source_url}) AS source_url
    FROM read_json($path, format = 'newline_delimited', columns = {
        component_id: 'VARCHAR', sha256: 'VARCHAR', source_id: 'VARCHAR', service_id: 'VARCHAR',
        native_id: 'VARCHAR', name: 'VARCHAR', group_name: 'VARCHAR', state: 'VARCHAR', state_native: 'VARCHAR',
        observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR'})
    GROUP BY component_id, sha256
) AS s
ON t.component_id = s.component_id AND t.sha256 = s.sha256
WHEN MATCHED AND s.observed_at < t.observed_at THEN UPDATE SET source_url = s.source_url, observed_at = s.observed_at
WHEN NOT MATCHED THEN INSERT BY NAME;
