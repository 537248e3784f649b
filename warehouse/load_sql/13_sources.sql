-- The catalog's sources as of the latest load (a source's note is the one its latest catalog gave it).
INSERT OR REPLACE INTO raw_sources (source_id, kind, url, service_id, note)
SELECT source_id, any_value(kind), any_value(url), any_value(service_id), any_value(note)
FROM read_json($path, format = 'newline_delimited', columns = {
    source_id: 'VARCHAR', kind: 'VARCHAR', url: 'VARCHAR', service_id: 'VARCHAR', note: 'VARCHAR'})
GROUP BY source_id;
