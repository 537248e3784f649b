-- The raw tables without PRIMARY KEY. Each still holds one row per key: every load statement that writes it is a
-- MERGE on that key (warehouse/load_sql/NN_table.sql), loads run one at a time (the writer lock, warehouse/lock.py),
-- and a DuckLake warehouse has always been so (warehouse/lake.py). The keys' indexes gave nothing: a MERGE joins on
-- its key by hashing, never through the index. They cost every load: each new row went into the index (an ART), the
-- index was written again at every commit (1M complaint counts: 1.3 s of a 2.6 s load before the models) and it had
-- to fit in memory. Columns, their order, types and NOT NULL are those of migrations 0001-0008; the rows are copied
-- as they are. A DuckLake warehouse records this migration without running it (lake.UNKEYING_MIGRATIONS).

-- raw_ingest_runs: one row per (run_id), the key of load_sql/01_runs.sql
CREATE TABLE raw_ingest_runs__unkeyed (
    run_id          VARCHAR NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    catalog_path    VARCHAR,
    sources_total   INTEGER NOT NULL,
    sources_failed  INTEGER NOT NULL
);
INSERT INTO raw_ingest_runs__unkeyed SELECT * FROM raw_ingest_runs;
DROP TABLE raw_ingest_runs;
ALTER TABLE raw_ingest_runs__unkeyed RENAME TO raw_ingest_runs;

-- raw_services: one row per (service_id), the key of load_sql/02_services.sql
CREATE TABLE raw_services__unkeyed (
    service_id      VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    aliases         VARCHAR[] NOT NULL,
    depends_on      VARCHAR[] NOT NULL,
    exclusions      VARCHAR[],
    status_sources  VARCHAR[]
);
INSERT INTO raw_services__unkeyed SELECT * FROM raw_services;
DROP TABLE raw_services;
ALTER TABLE raw_services__unkeyed RENAME TO raw_services;

-- raw_sources: one row per (source_id), the key of load_sql/13_sources.sql
CREATE TABLE raw_sources__unkeyed (
    source_id   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    service_id  VARCHAR,
    note        VARCHAR
);
INSERT INTO raw_sources__unkeyed SELECT * FROM raw_sources;
DROP TABLE raw_sources;
ALTER TABLE raw_sources__unkeyed RENAME TO raw_sources;

-- raw_fetches: one row per (run_id, url), the key of load_sql/03_fetches.sql
CREATE TABLE raw_fetches__unkeyed (
    run_id         VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,
    url            VARCHAR NOT NULL,
    final_url      VARCHAR,
    fetched_at     TIMESTAMPTZ NOT NULL,
    http_status    INTEGER,
    content_type   VARCHAR,
    etag           VARCHAR,
    last_modified  VARCHAR,
    sha256         VARCHAR,
    bytes          BIGINT,
    error          VARCHAR,
    meta           VARCHAR,
    withheld       BOOLEAN
);
INSERT INTO raw_fetches__unkeyed SELECT * FROM raw_fetches;
DROP TABLE raw_fetches;
ALTER TABLE raw_fetches__unkeyed RENAME TO raw_fetches;

-- raw_incident_versions: one row per (incident_id, version_hash), the key of load_sql/04_incidents.sql
CREATE TABLE raw_incident_versions__unkeyed (
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
    source_url      VARCHAR NOT NULL,
    regions         VARCHAR[],
    component_ids   VARCHAR[],
    declared_start  TIMESTAMPTZ,
    declared_end    TIMESTAMPTZ
);
INSERT INTO raw_incident_versions__unkeyed SELECT * FROM raw_incident_versions;
DROP TABLE raw_incident_versions;
ALTER TABLE raw_incident_versions__unkeyed RENAME TO raw_incident_versions;

-- raw_update_versions: one row per (incident_id, update_id, version_hash), the key of load_sql/05_updates.sql
CREATE TABLE raw_update_versions__unkeyed (
    incident_id    VARCHAR NOT NULL,
    update_id      VARCHAR NOT NULL,
    version_hash   VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,
    posted_at      TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ,
    status         VARCHAR NOT NULL,
    status_native  VARCHAR,
    body           VARCHAR,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    source_url     VARCHAR NOT NULL
);
INSERT INTO raw_update_versions__unkeyed SELECT * FROM raw_update_versions;
DROP TABLE raw_update_versions;
ALTER TABLE raw_update_versions__unkeyed RENAME TO raw_update_versions;

-- raw_complaint_counts: one row per (source_id, service_id, bucket_start), the key of load_sql/06_counts.sql
CREATE TABLE raw_complaint_counts__unkeyed (
    source_id     VARCHAR NOT NULL,
    service_id    VARCHAR NOT NULL,
    bucket_start  TIMESTAMPTZ NOT NULL,
    reports       BIGINT NOT NULL,
    baseline      DOUBLE,
    observed_at   TIMESTAMPTZ NOT NULL,
    source_url    VARCHAR NOT NULL
);
INSERT INTO raw_complaint_counts__unkeyed SELECT * FROM raw_complaint_counts;
DROP TABLE raw_complaint_counts;
ALTER TABLE raw_complaint_counts__unkeyed RENAME TO raw_complaint_counts;

-- raw_component_observations: one row per (component_id, sha256), the key of load_sql/07_components.sql
CREATE TABLE raw_component_observations__unkeyed (
    component_id  VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    service_id    VARCHAR,
    native_id     VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    group_name    VARCHAR,
    state         VARCHAR NOT NULL,
    state_native  VARCHAR,
    observed_at   TIMESTAMPTZ NOT NULL,
    source_url    VARCHAR NOT NULL
);
INSERT INTO raw_component_observations__unkeyed SELECT * FROM raw_component_observations;
DROP TABLE raw_component_observations;
ALTER TABLE raw_component_observations__unkeyed RENAME TO raw_component_observations;

-- raw_component_changes: one row per (component_id, changed_at, state), the key of load_sql/08_component_changes.sql
CREATE TABLE raw_component_changes__unkeyed (
    component_id   VARCHAR NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL,
    state          VARCHAR NOT NULL,
    state_native   VARCHAR,
    old_state      VARCHAR,
    incident_id    VARCHAR,
    source_id      VARCHAR NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    source_url     VARCHAR NOT NULL
);
INSERT INTO raw_component_changes__unkeyed SELECT * FROM raw_component_changes;
DROP TABLE raw_component_changes;
ALTER TABLE raw_component_changes__unkeyed RENAME TO raw_component_changes;

-- raw_posts: one row per (uri), the key of load_sql/09_posts.sql
CREATE TABLE raw_posts__unkeyed (
    uri            VARCHAR NOT NULL,
    post_id        VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,
    native_id      VARCHAR NOT NULL,
    url            VARCHAR,
    posted_at      TIMESTAMPTZ NOT NULL,
    author_hash    VARCHAR NOT NULL,
    text           VARCHAR NOT NULL,
    lang           VARCHAR,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    source_url     VARCHAR NOT NULL
);
INSERT INTO raw_posts__unkeyed SELECT * FROM raw_posts;
DROP TABLE raw_posts;
ALTER TABLE raw_posts__unkeyed RENAME TO raw_posts;

-- raw_ingest_errors: one row per (run_id, source_id, url), the key of load_sql/10_errors.sql
CREATE TABLE raw_ingest_errors__unkeyed (
    run_id     VARCHAR NOT NULL,
    source_id  VARCHAR NOT NULL,
    url        VARCHAR NOT NULL,
    failed_at  TIMESTAMPTZ NOT NULL,
    error      VARCHAR NOT NULL
);
INSERT INTO raw_ingest_errors__unkeyed SELECT * FROM raw_ingest_errors;
DROP TABLE raw_ingest_errors;
ALTER TABLE raw_ingest_errors__unkeyed RENAME TO raw_ingest_errors;

-- raw_documents: one row per (source_id, url, sha256), the key of load_sql/11_documents.sql
CREATE TABLE raw_documents__unkeyed (
    source_id          VARCHAR NOT NULL,
    url                VARCHAR NOT NULL,
    sha256             VARCHAR NOT NULL,
    first_parsed_at    TIMESTAMPTZ NOT NULL,
    incident_versions  STRUCT(incident_id VARCHAR, version_hash VARCHAR)[] NOT NULL,
    update_versions    STRUCT(incident_id VARCHAR, update_id VARCHAR, version_hash VARCHAR)[] NOT NULL
);
INSERT INTO raw_documents__unkeyed SELECT * FROM raw_documents;
DROP TABLE raw_documents;
ALTER TABLE raw_documents__unkeyed RENAME TO raw_documents;

-- raw_document_sightings: one row per (source_id, url, sha256), the key of load_sql/11_documents.sql and
-- 12_resightings.sql
CREATE TABLE raw_document_sightings__unkeyed (
    source_id     VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO raw_document_sightings__unkeyed SELECT * FROM raw_document_sightings;
DROP TABLE raw_document_sightings;
ALTER TABLE raw_document_sightings__unkeyed RENAME TO raw_document_sightings;
