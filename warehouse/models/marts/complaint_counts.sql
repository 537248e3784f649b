-- Analyst view: reports per service and 15-minute bucket, with baseline and spike flag.
with

counts as (
    select * from stg_complaint_counts
),

final as (
    select
        service_id,
        bucket_start,
        reports,
        baseline,
        is_spike,
        over_line,
        source_ids,
        rule_name as spike_rule
    from counts
)

select * from final
