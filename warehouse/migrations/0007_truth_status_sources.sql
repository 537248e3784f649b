-- Which of the catalog's sources read what each service's provider posts: a service with none has no status source,
-- so a complaint spike without an official post is "no status page tracked", never "unacknowledged".
ALTER TABLE raw_services ADD COLUMN IF NOT EXISTS status_sources VARCHAR[];
