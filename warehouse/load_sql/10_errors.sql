-- Failures of the run, one row per source and URL.
MERGE INTO raw_ingest_errors AS t
USING (
    SELECT run_id, source_id, url, min(failed_at) AS failed_at, string_agg(error, '; ') AS error
    FROM read_json($path, format = 'newline_delimited', columns = {
        run_id: 'VARCHAR', source_id: 'VARCHAR', url: 'VARCHAR', failed_at: 'TIMESTAMPTZ', error: 'VARCHAR'})
    GROUP BY run_id, source_id, url
) AS s
ON t.run_id = s.run_id AND t.source_id = s.source_id AND t.url = s.url
WHEN NOT MATCHED THEN INSERT BY NAME;
