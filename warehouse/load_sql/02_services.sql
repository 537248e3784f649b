-- The catalog's services as of the latest load.
INSERT OR REPLACE INTO raw_services (service_id, name, aliases, depends_on, exclusions, status_sources)
SELECT service_id, name, aliases, depends_on, exclusions, status_sources
FROM read_json($path, format = 'newline_delimited', columns = {
    service_id: 'VARCHAR', name: 'VARCHAR', aliases: 'VARCHAR[]', depends_on: 'VARCHAR[]', exclusions: 'VARCHAR[]',
    status_sources: 'VARCHAR[]'});
