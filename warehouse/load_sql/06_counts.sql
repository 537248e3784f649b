-- Complaint counts: the latest reading of a bucket wins, whatever order runs are loaded in.
INSERT INTO raw_complaint_counts
SELECT source_id, service_id, bucket_start,
       arg_max(reports, observed_at), arg_max(baseline, observed_at), max(observed_at), arg_max(source_url, {'t': observed_at, 'u': source_url})
FROM read_json($path, format = 'newline_delimited', columns = {
    source_id: 'VARCHAR', service_id: 'VARCHAR', bucket_start: 'TIMESTAMPTZ', reports: 'BIGINT',
    baseline: 'DOUBLE', observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR'})
GROUP BY source_id, service_id, bucket_start
ON CONFLICT (source_id, service_id, bucket_start) DO UPDATE SET
    reports = CASE WHEN excluded.observed_at > observed_at THEN excluded.reports ELSE reports END,
    baseline = CASE WHEN excluded.observed_at > observed_at THEN excluded.baseline ELSE baseline END,
    source_url = CASE WHEN excluded.observed_at > observed_at THEN excluded.source_url ELSE source_url END,
    observed_at = greatest(observed_at, excluded.observed_at);
