-- Distinct versions of each incident; a version seen again only widens its first/last sighting.
MERGE INTO raw_incident_versions AS t
USING (
    SELECT incident_id, version_hash, any_value(source_id) AS source_id, any_value(service_id) AS service_id,
           any_value(native_id) AS native_id, any_value(title) AS title, any_value(impact) AS impact,
           any_value(impact_native) AS impact_native, any_value(status) AS status,
           any_value(status_native) AS status_native, any_value(started_at) AS started_at,
           any_value(resolved_at) AS resolved_at, any_value(url) AS url, any_value(service_key) AS service_key,
           any_value(region) AS region, min(observed_at) AS first_seen_at, max(observed_at) AS last_seen_at,
           arg_min(source_url, {'t': observed_at, 'u': source_url}) AS source_url, any_value(regions) AS regions,
           any_value(component_ids) AS component_ids, any_value(declared_start) AS declared_start,
           any_value(declared_end) AS declared_end
    FROM read_json($path, format = 'newline_delimited', columns = {
        incident_id: 'VARCHAR', version_hash: 'VARCHAR', source_id: 'VARCHAR', service_id: 'VARCHAR',
        native_id: 'VARCHAR', title: 'VARCHAR', impact: 'VARCHAR', impact_native: 'VARCHAR', status: 'VARCHAR',
        status_native: 'VARCHAR', started_at: 'TIMESTAMPTZ', resolved_at: 'TIMESTAMPTZ', url: 'VARCHAR',
        service_key: 'VARCHAR', region: 'VARCHAR', observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR',
        regions: 'VARCHAR[]', component_ids: 'VARCHAR[]', declared_start: 'TIMESTAMPTZ', declared_end: 'TIMESTAMPTZ'})
    GROUP BY incident_id, version_hash
) AS s
ON t.incident_id = s.incident_id AND t.version_hash = s.version_hash
WHEN MATCHED THEN UPDATE SET
    source_url = CASE WHEN s.first_seen_at < t.first_seen_at
        OR (s.first_seen_at = t.first_seen_at AND s.source_url < t.source_url)
        THEN s.source_url ELSE t.source_url END,
    first_seen_at = least(t.first_seen_at, s.first_seen_at),
    last_seen_at = greatest(t.last_seen_at, s.last_seen_at)
WHEN NOT MATCHED THEN INSERT BY NAME;
