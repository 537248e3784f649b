-- User posts (complaint sources), what each request carried for its kind, and per-service exclusions.

ALTER TABLE raw_fetches ADD COLUMN IF NOT EXISTS meta VARCHAR;
ALTER TABLE raw_fetches ADD COLUMN IF NOT EXISTS withheld BOOLEAN;
ALTER TABLE raw_services ADD COLUMN IF NOT EXISTS exclusions VARCHAR[];

-- One row per post (by its global uri: the same post read on two instances or twice is one row).
CREATE TABLE IF NOT EXISTS raw_posts (
    uri             VARCHAR PRIMARY KEY,
    post_id         VARCHAR NOT NULL,   -- <first source id>:<native id>
    source_id       VARCHAR NOT NULL,   -- the first source it was read from
    native_id       VARCHAR NOT NULL,
    url             VARCHAR,
    posted_at       TIMESTAMPTZ NOT NULL,
    author_hash     VARCHAR NOT NULL,   -- a keyed hash of the author id; the id itself is never stored
    text            VARCHAR NOT NULL,
    lang            VARCHAR,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    source_url      VARCHAR NOT NULL
);
