-- Analyst view: how fresh each source is. A failed read never counts as "all clear": its last state stays, marked.
with

status as (
    select * from stg_source_status
),

last_errors as (
    select source_id, arg_max(error, failed_at) as last_error, max(failed_at) as last_failed_at
    from raw_ingest_errors
    group by source_id
),

final as (
    select
        status.source_id,
        status.last_attempt_at,
        status.last_success_at,
        status.latest_failed as stale,
        last_errors.last_failed_at,
        last_errors.last_error,
        status.runs,
        status.failed_runs,
        sources.note
    from status
    left join last_errors using (source_id)
    left join raw_sources as sources using (source_id)
)

select * from final
