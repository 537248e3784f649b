-- The catalog's sources as of the latest load: the URL each is polled from (what a reader can open to follow a post
-- source, whose page URLs carry cursors), and the note each carries (a catalog's `note`: "a reconstruction
-- replayed from public facts..."), which every export citing the source repeats.
CREATE TABLE IF NOT EXISTS raw_sources (
    source_id   VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    service_id  VARCHAR,
    note        VARCHAR
);
