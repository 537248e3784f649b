-- What each parsed document contained, so that reading it again unchanged (a 304, or the same bytes) needs no parse:
-- the load moves the last sighting of its incident and update versions forward instead (load_sql/12_resightings.sql).
-- A document is the bytes with one sha256 as read from one URL of one source (a parse may depend on the URL).

-- A document whose records depend on its bytes alone (no complaint counts, no clock-dependent kind) and that parsed
-- without an error, with the incident and update versions it contained: only such a document is ever left unparsed,
-- so its members are complete. Written once, at its first parse.
CREATE TABLE IF NOT EXISTS raw_documents (
    source_id           VARCHAR NOT NULL,
    url                 VARCHAR NOT NULL,
    sha256              VARCHAR NOT NULL,
    first_parsed_at     TIMESTAMPTZ NOT NULL,
    incident_versions   STRUCT(incident_id VARCHAR, version_hash VARCHAR)[] NOT NULL,
    update_versions     STRUCT(incident_id VARCHAR, update_id VARCHAR, version_hash VARCHAR)[] NOT NULL,
    PRIMARY KEY (source_id, url, sha256)
);

-- The latest successful read of each such document, parsed or not: what its members' last sighting cannot be older
-- than, whatever order runs are loaded in (a later run's resighting may be loaded before the parse it refers to).
CREATE TABLE IF NOT EXISTS raw_document_sightings (
    source_id           VARCHAR NOT NULL,
    url                 VARCHAR NOT NULL,
    sha256              VARCHAR NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_id, url, sha256)
);
