-- Documents parsed in this run whose parse can be skipped when they are read again unchanged, with their members
-- (see migrations/0005_document_members.sql). The members of a document never change: the first load keeps them.
MERGE INTO raw_documents AS t
USING (
    SELECT source_id, url, sha256, min(parsed_at) AS first_parsed_at, any_value(incident_versions) AS incident_versions,
           any_value(update_versions) AS update_versions
    FROM read_json($path, format = 'newline_delimited', columns = {
        source_id: 'VARCHAR', url: 'VARCHAR', sha256: 'VARCHAR', parsed_at: 'TIMESTAMPTZ',
        incident_versions: 'STRUCT(incident_id VARCHAR, version_hash VARCHAR)[]',
        update_versions: 'STRUCT(incident_id VARCHAR, update_id VARCHAR, version_hash VARCHAR)[]'})
    GROUP BY source_id, url, sha256
) AS s
ON t.source_id = s.source_id AND t.url = s.url AND t.sha256 = s.sha256
WHEN MATCHED AND s.first_parsed_at < t.first_parsed_at THEN UPDATE SET first_parsed_at = s.first_parsed_at
WHEN NOT MATCHED THEN INSERT BY NAME;

-- A parse is a sighting of the document.
MERGE INTO raw_document_sightings AS t
USING (
    SELECT source_id, url, sha256, max(parsed_at) AS last_seen_at
    FROM read_json($path, format = 'newline_delimited', columns = {
        source_id: 'VARCHAR', url: 'VARCHAR', sha256: 'VARCHAR', parsed_at: 'TIMESTAMPTZ'})
    GROUP BY source_id, url, sha256
) AS s
ON t.source_id = s.source_id AND t.url = s.url AND t.sha256 = s.sha256
WHEN MATCHED AND s.last_seen_at > t.last_seen_at THEN UPDATE SET last_seen_at = s.last_seen_at
WHEN NOT MATCHED THEN INSERT BY NAME;

-- A document already sighted later than this parse (runs loaded out of order: a later run, which only resighted it,
-- first): its versions take that later sighting, as they would have had the runs been loaded in order. The move itself
-- is the next step's (12_resightings.sql), once for these documents and the ones read again unchanged.
CREATE OR REPLACE TEMP TABLE documents_seen_again AS
SELECT DISTINCT source_id, url, sha256
FROM read_json($path, format = 'newline_delimited', columns = {
    source_id: 'VARCHAR', url: 'VARCHAR', sha256: 'VARCHAR', parsed_at: 'TIMESTAMPTZ'}) AS parsed
JOIN raw_document_sightings AS sightings USING (source_id, url, sha256)
WHERE sightings.last_seen_at > parsed.parsed_at;
