-- Failures of the run, one row per source and URL.
INSERT INTO raw_ingest_errors
SELECT run_id, source_id, url, min(failed_at), string_agg(error, '; ')
FROM read_json($path, format = 'newline_delimited', columns = {
    run_id: 'VARCHAR', source_id: 'VARCHAR', url: 'VARCHAR', failed_at: 'TIMESTAMPTZ', error: 'VARCHAR'})
GROUP BY run_id, source_id, url
ON CONFLICT DO NOTHING;
