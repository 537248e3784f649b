-- What each materialized model was last built in full from, so a load refreshes only what changed and a changed
-- rule, catalog or bucket width rebuilds it in full. An incremental refresh leaves the row as it is: loading the same
-- landing twice changes nothing in the warehouse, this table included.
CREATE TABLE IF NOT EXISTS model_state (
    model           VARCHAR PRIMARY KEY,
    fingerprint     VARCHAR NOT NULL,   -- sha256 of the model SQL it depends on, the services and the bucket width
    bucket_minutes  INTEGER NOT NULL,
    built_at        TIMESTAMPTZ NOT NULL  -- when it was last computed in full
);
