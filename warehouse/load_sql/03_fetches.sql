-- Every URL fetched in the run, failed or not.
INSERT INTO raw_fetches (
    run_id, source_id, url, final_url, fetched_at, http_status, content_type, etag, last_modified, sha256, bytes,
    error, meta, withheld)
SELECT run_id, source_id, url, any_value(final_url), any_value(fetched_at), any_value(http_status),
       any_value(content_type), any_value(etag), any_value(last_modified), any_value(sha256), any_value(bytes),
       any_value(error), any_value(meta), any_value(withheld)
FROM read_json($path, format = 'newline_delimited', columns = {
    run_id: 'VARCHAR', source_id: 'VARCHAR', url: 'VARCHAR', final_url: 'VARCHAR', fetched_at: 'TIMESTAMPTZ',
    http_status: 'INTEGER', content_type: 'VARCHAR', etag: 'VARCHAR', last_modified: 'VARCHAR',
    sha256: 'VARCHAR', bytes: 'BIGINT', error: 'VARCHAR', meta: 'VARCHAR', withheld: 'BOOLEAN'})
GROUP BY run_id, source_id, url
ON CONFLICT DO NOTHING;
