-- One row per run; loading the same run again changes nothing.
INSERT INTO raw_ingest_runs
SELECT run_id, started_at, catalog_path, sources_total, sources_failed
FROM read_json($path, format = 'newline_delimited', columns = {
    run_id: 'VARCHAR', started_at: 'TIMESTAMPTZ', catalog_path: 'VARCHAR',
    sources_total: 'INTEGER', sources_failed: 'INTEGER'})
ON CONFLICT DO NOTHING;
