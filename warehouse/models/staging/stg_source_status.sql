-- Per source: when it was last tried, last read successfully, and whether its latest attempt failed.
with

fetches as (
    select * from raw_fetches
),

errors as (
    select * from raw_ingest_errors
),

attempts as (
    select
        fetches.source_id,
        fetches.run_id,
        max(fetches.fetched_at) as attempted_at,
        bool_or(errors.error is not null) as failed
    from fetches
    left join errors
        on errors.run_id = fetches.run_id
        and errors.source_id = fetches.source_id
        and errors.url = fetches.url
    group by fetches.source_id, fetches.run_id
),

final as (
    select
        source_id,
        max(attempted_at) as last_attempt_at,
        max(attempted_at) filter (where not failed) as last_success_at,
        arg_max(failed, attempted_at) as latest_failed,
        count(*) as runs,
        count(*) filter (where failed) as failed_runs
    from attempts
    group by source_id
)

select * from final
