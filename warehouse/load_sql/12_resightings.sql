-- Documents read again unchanged and not parsed. Every incident and update version such a document contains was seen
-- again: its last sighting moves forward exactly as a parse would have moved it (the latest version of an incident is
-- the one seen last: staging/stg_incidents.sql). Components, component changes and posts keep their first sighting
-- and complaint counts are always parsed (they take the latest reading): nothing else to move.
MERGE INTO raw_document_sightings AS t
USING (
    SELECT source_id, url, sha256, max(observed_at) AS last_seen_at
    FROM read_json($path, format = 'newline_delimited', columns = {
        source_id: 'VARCHAR', url: 'VARCHAR', sha256: 'VARCHAR', observed_at: 'TIMESTAMPTZ'})
    GROUP BY source_id, url, sha256
) AS s
ON t.source_id = s.source_id AND t.url = s.url AND t.sha256 = s.sha256
WHEN MATCHED AND s.last_seen_at > t.last_seen_at THEN UPDATE SET last_seen_at = s.last_seen_at
WHEN NOT MATCHED THEN INSERT BY NAME;

-- The documents whose versions' last sighting moves forward: those read again unchanged, and those 11_documents.sql
-- found sighted later than their parse (documents_seen_again, which it creates).
INSERT INTO documents_seen_again
SELECT DISTINCT source_id, url, sha256
FROM read_json($path, format = 'newline_delimited', columns = {
    source_id: 'VARCHAR', url: 'VARCHAR', sha256: 'VARCHAR'});

-- Move the last sighting forward: every incident and update version such a document contains takes the document's
-- latest sighting, when that is later than its own.
UPDATE raw_incident_versions AS versions
SET last_seen_at = seen.last_seen_at
FROM (
    SELECT member.incident_id, member.version_hash, max(sightings.last_seen_at) AS last_seen_at
    FROM (SELECT DISTINCT source_id, url, sha256 FROM documents_seen_again) AS moved
    JOIN raw_document_sightings AS sightings USING (source_id, url, sha256)
    JOIN raw_documents AS documents USING (source_id, url, sha256),
        unnest(documents.incident_versions) AS members(member)
    GROUP BY member.incident_id, member.version_hash
) AS seen
WHERE versions.incident_id = seen.incident_id
    AND versions.version_hash = seen.version_hash
    AND seen.last_seen_at > versions.last_seen_at;

UPDATE raw_update_versions AS versions
SET last_seen_at = seen.last_seen_at
FROM (
    SELECT member.incident_id, member.update_id, member.version_hash, max(sightings.last_seen_at) AS last_seen_at
    FROM (SELECT DISTINCT source_id, url, sha256 FROM documents_seen_again) AS moved
    JOIN raw_document_sightings AS sightings USING (source_id, url, sha256)
    JOIN raw_documents AS documents USING (source_id, url, sha256),
        unnest(documents.update_versions) AS members(member)
    GROUP BY member.incident_id, member.update_id, member.version_hash
) AS seen
WHERE versions.incident_id = seen.incident_id
    AND versions.version_hash = seen.version_hash
    AND versions.update_id = seen.update_id
    AND seen.last_seen_at > versions.last_seen_at;

DROP TABLE documents_seen_again;
