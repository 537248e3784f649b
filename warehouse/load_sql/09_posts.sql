-- Posts by their global uri: the first sighting is kept, whichever instance or run it came from. Two sightings at the
-- same time are ordered by source URL, within a run (arg_min) and across runs (the MERGE condition) alike, so the
-- result does not depend on which of two runs loads first (crawl workers on several machines load in any order).
MERGE INTO raw_posts AS t
USING (
    SELECT uri, arg_min(post_id, {'t': observed_at, 'u': source_url}) AS post_id,
           arg_min(source_id, {'t': observed_at, 'u': source_url}) AS source_id,
           arg_min(native_id, {'t': observed_at, 'u': source_url}) AS native_id,
           arg_min(url, {'t': observed_at, 'u': source_url}) AS url,
           arg_min(posted_at, {'t': observed_at, 'u': source_url}) AS posted_at,
           arg_min(author_hash, {'t': observed_at, 'u': source_url}) AS author_hash,
           arg_min(text, {'t': observed_at, 'u': source_url}) AS text,
           arg_min(lang, {'t': observed_at, 'u': source_url}) AS lang, min(observed_at) AS first_seen_at,
           arg_min(source_url, {'t': observed_at, 'u': source_url}) AS source_url
    FROM read_json($path, format = 'newline_delimited', columns = {
        uri: 'VARCHAR', post_id: 'VARCHAR', source_id: 'VARCHAR', native_id: 'VARCHAR', url: 'VARCHAR',
        posted_at: 'TIMESTAMPTZ', author_hash: 'VARCHAR', text: 'VARCHAR', lang: 'VARCHAR',
        observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR'})
    GROUP BY uri
) AS s
ON t.uri = s.uri
WHEN MATCHED AND {'t': s.first_seen_at, 'u': s.source_url} < {'t': t.first_seen_at, 'u': t.source_url} THEN UPDATE SET
    post_id = s.post_id, source_id = s.source_id, source_url = s.source_url, first_seen_at = s.first_seen_at
WHEN NOT MATCHED THEN INSERT BY NAME;
