-- The catalog's sources as of the latest load, with the note each carries (a catalog's `note`: "a reconstruction
-- replayed from public facts..."), which every export citing the source repeats.
CREATE TABLE IF NOT EXISTS raw_sources (
    source_id   VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,
    service_id  VARCHAR,
    note        VARCHAR
);
