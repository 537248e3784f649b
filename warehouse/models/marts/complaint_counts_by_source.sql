-- Analyst view: the split of complaint_counts by source, each source with its own baseline and spike flag.
with

counts as (
    select * from stg_complaint_counts where source_id <> '*'
),

final as (
    select
        service_id,
        source_id,
        bucket_start,
        covered,
        reports,
        baseline,
        is_spike,
        over_line,
        baseline_quality,
        rule_name as spike_rule
    from counts
)

select * from final
