-- Every URL fetched in the run, failed or not.
MERGE INTO raw_fetches AS t
USING (
    SELECT run_id, min(source_id) AS source_id, url, any_value(final_url) AS final_url, any_value(fetched_at) AS fetched_at,
           any_value(http_status) AS http_status, any_value(content_type) AS content_type, any_value(etag) AS etag,
           any_value(last_modified) AS last_modified, any_value(sha256) AS sha256, any_value(bytes) AS bytes,
           any_value(error) AS error, any_value(meta) AS meta, any_value(withheld) AS withheld
    FROM read_json($path, format = 'newline_delimited', columns = {
        run_id: 'VARCHAR', source_id: 'VARCHAR', url: 'VARCHAR', final_url: 'VARCHAR', fetched_at: 'TIMESTAMPTZ',
        http_status: 'INTEGER', content_type: 'VARCHAR', etag: 'VARCHAR', last_modified: 'VARCHAR',
        sha256: 'VARCHAR', bytes: 'BIGINT', error: 'VARCHAR', meta: 'VARCHAR', withheld: 'BOOLEAN'})
    GROUP BY run_id, url  -- the key: one row even when two sources fetched the same URL
) AS s
ON t.run_id = s.run_id AND t.url = s.url
WHEN NOT MATCHED THEN INSERT BY NAME;
