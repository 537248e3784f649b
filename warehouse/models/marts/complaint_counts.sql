-- Analyst view: reports per service and bucket (every source added up), with baseline and spike flag.
with

counts as (
    select * from stg_complaint_counts where source_id = '*'
),

final as (
    select
        service_id,
        bucket_start,
        covered,
        reports,
        baseline,
        is_spike,
        over_line,
        baseline_quality,
        source_ids,
        rule_name as spike_rule
    from counts
)

select * from final
