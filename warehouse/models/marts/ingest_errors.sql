-- One row per source and URL that failed in a run, with the reason.
with

errors as (
    select * from raw_ingest_errors
),

final as (
    select run_id, source_id, url, failed_at, error
    from errors
)

select * from final
