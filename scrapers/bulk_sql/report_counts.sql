-- Report-count CSVs (kind report_counts) read by DuckDB in one pass, each row with whether the Python parser
-- (scrapers/kinds/report_counts.py) would read it to the same record (`sure`). A file is taken from here only when
-- every one of its rows is sure and DuckDB rejected none of its lines (scrapers/bulk_counts.py); any other file goes
-- through the Python parser, which names what is wrong with it. So this query need not name errors: it only has to
-- be certain of what it accepts. Its inputs are temporary tables filled before it runs: bulk_csv (the rows, every
-- column as text, with filename and the longest field of the row), bulk_files (item: one per fetched file, filename,
-- source_id, fetched_at), bulk_names (raw name, the name stripped as Python strips it, the catalog's service id)
-- and bulk_sources (source_id, the source's own service, for a name the catalog lacks).
with

csv_rows as (
    select * from bulk_csv
),

files as (
    select * from bulk_files
),

names as (
    select * from bulk_names
),

sources as (
    select * from bulk_sources
),

typed as (
    select
        files.item,
        csv_rows.filename,
        files.source_id,
        files.fetched_at,
        csv_rows.service as raw_service,
        csv_rows.longest_field,
        -- Python's int() of plain digits (no sign, no underscore; at most 18 of them, so it fits a BIGINT)
        case when regexp_full_match(csv_rows.reports, '[ \t]*[0-9]{1,18}[ \t]*') then trim(csv_rows.reports)::bigint
        end as reports,
        -- an empty baseline is none; else Python's float() of plain decimal digits
        trim(coalesce(csv_rows.baseline, '')) = '' as no_baseline,
        case when regexp_full_match(csv_rows.baseline, '[ \t]*[0-9]{1,15}(\.[0-9]{1,15})?[ \t]*')
            then trim(csv_rows.baseline)::double
        end as baseline,
        -- datetime.fromisoformat() of a time with seconds and an offset (or Z) that DuckDB reads the same way
        case
            when regexp_full_match(
                csv_rows.bucket_start,
                '[ \t]*[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?'
                || '(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])[ \t]*'
            ) then try_cast(trim(csv_rows.bucket_start) as timestamptz)
        end as bucket_start
    from csv_rows
    join files using (filename)
),

final as (
    select
        typed.item,
        typed.filename,
        typed.source_id,
        names.name as service,
        coalesce(names.service_id, sources.service_id) as service_id,
        typed.bucket_start,
        typed.reports,
        case when typed.no_baseline then null else typed.baseline end as baseline,
        coalesce(
            names.name <> ''
            and coalesce(names.service_id, sources.service_id) is not null
            and typed.reports is not null
            and (typed.no_baseline or typed.baseline is not null)
            and typed.bucket_start is not null
            -- plausible (scrapers/plausibility.py): from 2000 on, and at most a day after the fetch and now
            and typed.bucket_start >= timestamptz '2000-01-01 00:00:00+00'
            and typed.bucket_start <= greatest(typed.fetched_at, now()) + interval 1 day
            -- Python's csv module refuses a field over 131,072 characters
            and typed.longest_field <= 131072,
            false
        ) as sure
    from typed
    left join names on names.raw = typed.raw_service
    left join sources on sources.source_id = typed.source_id
)

select * from final
