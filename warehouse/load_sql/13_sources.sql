-- The catalog's sources as of the latest load (a source's note is the one its latest catalog gave it).
MERGE INTO raw_sources AS t
USING (
    SELECT source_id, any_value(kind) AS kind, any_value(url) AS url, any_value(service_id) AS service_id,
           any_value(note) AS note
    FROM read_json($path, format = 'newline_delimited', columns = {
        source_id: 'VARCHAR', kind: 'VARCHAR', url: 'VARCHAR', service_id: 'VARCHAR', note: 'VARCHAR'})
    GROUP BY source_id
) AS s
ON t.source_id = s.source_id
WHEN MATCHED THEN UPDATE SET kind = s.kind, url = s.url, service_id = s.service_id, note = s.note
WHEN NOT MATCHED THEN INSERT BY NAME;
