-- One row per run; loading the same run again changes nothing. (MERGE, not ON CONFLICT: a DuckLake warehouse has no
-- keys to conflict on, and the same statement serves both engines.)
MERGE INTO raw_ingest_runs AS t
USING (
    SELECT run_id, any_value(started_at) AS started_at, any_value(catalog_path) AS catalog_path,
           any_value(sources_total) AS sources_total, any_value(sources_failed) AS sources_failed
    FROM read_json($path, format = 'newline_delimited', columns = {
        run_id: 'VARCHAR', started_at: 'TIMESTAMPTZ', catalog_path: 'VARCHAR',
        sources_total: 'INTEGER', sources_failed: 'INTEGER'})
    GROUP BY run_id
) AS s
ON t.run_id = s.run_id
WHEN NOT MATCHED THEN INSERT BY NAME;
