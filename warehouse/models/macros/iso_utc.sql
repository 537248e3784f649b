-- A time as ISO 8601 text for revisions: to the second, with the microseconds when it has any, so that an edit of a
-- few milliseconds is a change (the views run with the session time zone UTC, as warehouse.db.connect sets it).
CREATE OR REPLACE MACRO iso_utc(ts) AS
    CASE
        WHEN ts IS NULL THEN NULL
        WHEN microsecond(ts) % 1000000 = 0 THEN strftime(ts, '%Y-%m-%dT%H:%M:%SZ')
        ELSE rtrim(strftime(ts, '%Y-%m-%dT%H:%M:%S.%f'), '0') || 'Z'
    END;
