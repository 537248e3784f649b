-- Posts by their global uri: the first sighting is kept, whichever instance or run it came from.
INSERT INTO raw_posts
SELECT uri, arg_min(post_id, {'t': observed_at, 'u': source_url}), arg_min(source_id, {'t': observed_at, 'u': source_url}), arg_min(native_id, {'t': observed_at, 'u': source_url}),
       arg_min(url, {'t': observed_at, 'u': source_url}), arg_min(posted_at, {'t': observed_at, 'u': source_url}), arg_min(author_hash, {'t': observed_at, 'u': source_url}),
       arg_min(text, {'t': observed_at, 'u': source_url}), arg_min(lang, {'t': observed_at, 'u': source_url}), min(observed_at), arg_min(source_url, {'t': observed_at, 'u': source_url})
FROM read_json($path, format = 'newline_delimited', columns = {
    uri: 'VARCHAR', post_id: 'VARCHAR', source_id: 'VARCHAR', native_id: 'VARCHAR', url: 'VARCHAR',
    posted_at: 'TIMESTAMPTZ', author_hash: 'VARCHAR', text: 'VARCHAR', lang: 'VARCHAR', observed_at: 'TIMESTAMPTZ',
    source_url: 'VARCHAR'})
GROUP BY uri
ON CONFLICT (uri) DO UPDATE SET
    post_id = CASE WHEN excluded.first_seen_at < first_seen_at THEN excluded.post_id ELSE post_id END,
    source_id = CASE WHEN excluded.first_seen_at < first_seen_at THEN excluded.source_id ELSE source_id END,
    source_url = CASE WHEN excluded.first_seen_at < first_seen_at THEN excluded.source_url ELSE source_url END,
    first_seen_at = least(first_seen_at, excluded.first_seen_at);
