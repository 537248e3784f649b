-- Complaint counts: the latest reading of a bucket wins, whatever order runs are loaded in.
MERGE INTO raw_complaint_counts AS t
USING (
    SELECT source_id, service_id, bucket_start, arg_max(reports, observed_at) AS reports,
           arg_max(baseline, observed_at) AS baseline, max(observed_at) AS observed_at,
           arg_max(source_url, {'t': observed_at, 'u': source_url}) AS source_url
    FROM read_json($path, format = 'newline_delimited', columns = {
        source_id: 'VARCHAR', service_id: 'VARCHAR', bucket_start: 'TIMESTAMPTZ', reports: 'BIGINT',
        baseline: 'DOUBLE', observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR'})
    GROUP BY source_id, service_id, bucket_start
) AS s
ON t.source_id = s.source_id AND t.service_id = s.service_id AND t.bucket_start = s.bucket_start
WHEN MATCHED AND s.observed_at > t.observed_at THEN UPDATE SET
    reports = s.reports, baseline = s.baseline, source_url = s.source_url, observed_at = s.observed_at
WHEN NOT MATCHED THEN INSERT BY NAME;
