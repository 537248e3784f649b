-- Components, their states, and the regions and components each incident names.

ALTER TABLE raw_incident_versions ADD COLUMN IF NOT EXISTS regions VARCHAR[];
ALTER TABLE raw_incident_versions ADD COLUMN IF NOT EXISTS component_ids VARCHAR[];

-- A component as one fetched document showed it (one row per component and distinct document).
CREATE TABLE IF NOT EXISTS raw_component_observations (
    component_id    VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL,
    service_id      VARCHAR,
    native_id       VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    group_name      VARCHAR,
    state           VARCHAR NOT NULL,
    state_native    VARCHAR,
    observed_at     TIMESTAMPTZ NOT NULL,
    source_url      VARCHAR NOT NULL,
    PRIMARY KEY (component_id, sha256)
);

-- A state change the provider recorded itself (Statuspage affected_components), at the time it shows.
CREATE TABLE IF NOT EXISTS raw_component_changes (
    component_id    VARCHAR NOT NULL,
    changed_at      TIMESTAMPTZ NOT NULL,
    state           VARCHAR NOT NULL,
    state_native    VARCHAR,
    old_state       VARCHAR,
    incident_id     VARCHAR,
    source_id       VARCHAR NOT NULL,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    source_url      VARCHAR NOT NULL,
    PRIMARY KEY (component_id, changed_at, state)
);
