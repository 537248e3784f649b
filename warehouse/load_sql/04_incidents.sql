-- Distinct versions of each incident; a version seen again only widens its first/last sighting.
INSERT INTO raw_incident_versions (
    incident_id, version_hash, source_id, service_id, native_id, title, impact, impact_native, status, status_native,
    started_at, resolved_at, url, service_key, region, first_seen_at, last_seen_at, source_url, regions, component_ids,
    declared_start, declared_end)
SELECT incident_id, version_hash, any_value(source_id), any_value(service_id), any_value(native_id),
       any_value(title), any_value(impact), any_value(impact_native), any_value(status), any_value(status_native),
       any_value(started_at), any_value(resolved_at), any_value(url), any_value(service_key), any_value(region),
       min(observed_at), max(observed_at), arg_min(source_url, {'t': observed_at, 'u': source_url}), any_value(regions),
       any_value(component_ids), any_value(declared_start), any_value(declared_end)
FROM read_json($path, format = 'newline_delimited', columns = {
    incident_id: 'VARCHAR', version_hash: 'VARCHAR', source_id: 'VARCHAR', service_id: 'VARCHAR',
    native_id: 'VARCHAR', title: 'VARCHAR', impact: 'VARCHAR', impact_native: 'VARCHAR', status: 'VARCHAR',
    status_native: 'VARCHAR', started_at: 'TIMESTAMPTZ', resolved_at: 'TIMESTAMPTZ', url: 'VARCHAR',
    service_key: 'VARCHAR', region: 'VARCHAR', observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR',
    regions: 'VARCHAR[]', component_ids: 'VARCHAR[]', declared_start: 'TIMESTAMPTZ', declared_end: 'TIMESTAMPTZ'})
GROUP BY incident_id, version_hash
ON CONFLICT (incident_id, version_hash) DO UPDATE SET
    source_url = CASE WHEN excluded.first_seen_at < first_seen_at
        OR (excluded.first_seen_at = first_seen_at AND excluded.source_url < source_url)
        THEN excluded.source_url ELSE source_url END,
    first_seen_at = least(first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(last_seen_at, excluded.last_seen_at);
