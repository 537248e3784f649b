-- The catalog's services as of the latest load.
MERGE INTO raw_services AS t
USING (
    SELECT service_id, any_value(name) AS name, any_value(aliases) AS aliases, any_value(depends_on) AS depends_on,
           any_value(exclusions) AS exclusions,
           any_value(status_sources) AS status_sources
    FROM read_json($path, format = 'newline_delimited', columns = {
        service_id: 'VARCHAR', name: 'VARCHAR', aliases: 'VARCHAR[]', depends_on: 'VARCHAR[]',
        exclusions: 'VARCHAR[]', status_sources: 'VARCHAR[]'})
    GROUP BY service_id
) AS s
ON t.service_id = s.service_id
WHEN MATCHED THEN UPDATE SET name = s.name, aliases = s.aliases, depends_on = s.depends_on, exclusions = s.exclusions,
    status_sources = s.status_sources
WHEN NOT MATCHED THEN INSERT BY NAME;
