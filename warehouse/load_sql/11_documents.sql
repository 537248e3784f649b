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
-- first): its versions take that later sighting, as they would have had the runs been loaded in order.
UPDATE raw_incident_versions AS versions
SET last_seen_at = seen.last_seen_at
FROM (
    SELECT member.incident_id, member.version_hash, max(sightings.last_seen_at) AS last_seen_at
    FROM read_json($path, format = 'newline_delimited', columns = {
        source_id: 'VARCHAR', url: 'VARCHAR', sha256: 'VARCHAR', parsed_at: 'TIMESTAMPTZ'}) AS parsed
    JOIN raw_document_sightings AS sightings USING (source_id, url, sha256)
    JOIN raw_documents AS documents USING (source_id, url, sha256),
        unnest(documents.incident_versions) AS members(member)
    WHERE sightings.last_seen_at > parsed.parsed_at
    GROUP BY member.incident_id, member.version_hash
) AS seen
WHERE versions.incident_id = seen.incident_id
    AND versions.version_hash = seen.version_hash
    AND seen.last_seen_at > versions.last_seen_at;

UPDATE raw_update_versions AS versions
SET last_seen_at = seen.last_seen_at
FROM (
    SELECT member.incident_id, member.update_id, member.version_hash, max(sightings.last_seen_at) AS last_seen_at
    FROM read_json($path, format = 'newline_delimited', columns = {
        source_id: 'VARCHAR', url: 'VARCHAR', sha256: 'VARCHAR', parsed_at: 'TIMESTAMPTZ'}) AS parsed
    JOIN raw_document_sightings AS sightings USING (source_id, url, sha256)
    JOIN raw_documents AS documents USING (source_id, url, sha256),
        unnest(documents.update_versions) AS members(member)
    WHERE sightings.last_seen_at > parsed.parsed_at
    GROUP BY member.incident_id, member.update_id, member.version_hash
) AS seen
WHERE versions.incident_id = seen.incident_id
    AND versions.update_id = seen.update_id
    AND versions.version_hash = seen.version_hash
    AND seen.last_seen_at > versions.last_seen_at;
