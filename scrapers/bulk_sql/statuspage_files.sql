-- Statuspage v2 JSON (scrapers/bulk_statuspage.py): which fetched bodies (bulk_files items) the SQL path takes. A file
-- is taken when it is plain JSON (statuspage_checks.sql), DuckDB read it (sp_raw), it is the parser's
-- incidents-list route (an `incidents` key holding a list; a `components` key, if any, holding a list) and every
-- record read from it is sure; an item (a fetch of the file) is taken when, besides, each time in its records is
-- plausible for its fetch time (scrapers/plausibility.py), so that the parser would drop none. Any other goes to the
-- Python parser.
with

files as (
    select * from bulk_files
),

checks as (
    select * from sp_checks
),

raw as (
    select * from sp_raw
),

incidents as (
    select * from sp_incidents
),

updates as (
    select * from sp_updates
),

changes as (
    select * from sp_changes
),

components as (
    select * from sp_components
),

unsure as (
    select filename from incidents where not sure
    union
    select filename from updates where not sure
    union
    select filename from changes where not sure
    union
    select filename from components where not sure
),

-- every time a record of the file carries, and whether it belongs to planned work (exempt from the future bound)
times as (
    select filename, started_at as moment, planned from incidents
    union all
    select filename, resolved_at as moment, planned from incidents where resolved_at is not null
    union all
    select filename, posted_at as moment, false as planned from updates
    union all
    select filename, created_at as moment, false as planned from updates
),

bounds as (
    select
        filename,
        min(moment) as earliest,
        max(moment) filter (where not planned) as latest
    from times
    group by filename
),

readable as (
    select checks.filename
    from checks
    join raw using (filename)
    where checks.plain
        and len(checks.top_keys) = len(list_distinct(checks.top_keys))
        and list_contains(checks.top_keys, 'incidents')
        and raw.incidents is not null
        and (raw.components is not null or not list_contains(checks.top_keys, 'components'))
        and checks.filename not in (select filename from unsure)
),

final as (
    select files.item
    from files
    join readable using (filename)
    left join bounds using (filename)
    where bounds.filename is null
        or (
            bounds.earliest >= TIMESTAMPTZ '2000-01-01 00:00:00+00'
            and coalesce(bounds.latest <= greatest(files.fetched_at, now()) + INTERVAL 1 DAY, true)
        )
)

select * from final
