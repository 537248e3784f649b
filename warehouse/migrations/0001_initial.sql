-- The loaded layer. Every table is keyed so that loading the same landing files again changes nothing.

-- One row per ingest run.
CREATE TABLE IF NOT EXISTS raw_ingest_runs (
    run_id          VARCHAR PRIMARY KEY,
    started_at      TIMESTAMPTZ NOT NULL,
    catalog_path    VARCHAR,
    sources_total   INTEGER NOT NULL,
    sources_failed  INTEGER NOT NULL
);

-- One row per URL fetched in a run, failed or not. The body itself is in the content-addressed store by sha256.
CREATE TABLE IF NOT EXISTS raw_fetches (
    run_id          VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    final_url       VARCHAR,
    fetched_at      TIMESTAMPTZ NOT NULL,
    http_status     INTEGER,
    content_type    VARCHAR,
    etag            VARCHAR,
    last_modified   VARCHAR,
    sha256          VARCHAR,
    bytes           BIGINT,
    error           VARCHAR,
    PRIMARY KEY (run_id, url)
);

-- Each distinct version of an incident, as some document described it; first and last time that version was seen.
CREATE TABLE IF NOT EXISTS raw_incident_versions (
    incident_id     VARCHAR NOT NULL,
    version_hash    VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    service_id      VARCHAR,
    native_id       VARCHAR NOT NULL,
    title           VARCHAR,
    impact          VARCHAR,
    impact_native   VARCHAR,
    status          VARCHAR NOT NULL,
    status_native   VARCHAR,
    started_at      TIMESTAMPTZ,
    resolved_at     TIMESTAMPTZ,
    url             VARCHAR,
    service_key     VARCHAR,
    region          VARCHAR,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    source_url      VARCHAR NOT NULL,   -- the document the first sighting came from, for citation
    PRIMARY KEY (incident_id, version_hash)
);

-- Each distinct version of an official update.
CREATE TABLE IF NOT EXISTS raw_update_versions (
    incident_id     VARCHAR NOT NULL,
    update_id       VARCHAR NOT NULL,
    version_hash    VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    posted_at       TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ,
    status          VARCHAR NOT NULL,
    status_native   VARCHAR,
    body            VARCHAR,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    source_url      VARCHAR NOT NULL,
    PRIMARY KEY (incident_id, update_id, version_hash)
);

-- Complaint counts per source, service and bucket; a later reading of the same bucket wins.
CREATE TABLE IF NOT EXISTS raw_complaint_counts (
    source_id       VARCHAR NOT NULL,
    service_id      VARCHAR NOT NULL,
    bucket_start    TIMESTAMPTZ NOT NULL,
    reports         BIGINT NOT NULL,
    baseline        DOUBLE,
    observed_at     TIMESTAMPTZ NOT NULL,
    source_url      VARCHAR NOT NULL,
    PRIMARY KEY (source_id, service_id, bucket_start)
);

-- One row per source and URL that failed in a run (download or parse), with a reason a person can act on.
CREATE TABLE IF NOT EXISTS raw_ingest_errors (
    run_id          VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    failed_at       TIMESTAMPTZ NOT NULL,
    error           VARCHAR NOT NULL,
    PRIMARY KEY (run_id, source_id, url)
);

-- The services catalog as of the latest run, for dependency questions (who depends on whom).
CREATE TABLE IF NOT EXISTS raw_services (
    service_id      VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    aliases         VARCHAR[] NOT NULL,
    depends_on      VARCHAR[] NOT NULL
);
