-- One row per complaint spike: a run of consecutive spike buckets of one service.
with

counts as (
    select * from stg_complaint_counts
),

rule as (
    select * from stg_spike_rule
),

numbered as (
    select
        counts.*,
        rule.bucket_width,
        -- consecutive buckets share an island key: bucket time minus its rank among spike buckets
        bucket_start - rule.bucket_width * (
            row_number() over (partition by service_id order by bucket_start)
        ) as island
    from counts
    cross join rule
    where is_spike
),

final as (
    select
        service_id,
        min(bucket_start) as started_at,
        max(bucket_start) + any_value(bucket_width) as ended_at,
        arg_max(bucket_start, reports) as peak_at,
        max(reports) as peak_reports,
        arg_max(baseline, reports) as baseline_at_peak,
        count(*) as buckets,
        string_agg(distinct source_ids, ',') as source_ids,
        any_value(rule_name) as spike_rule
    from numbered
    group by service_id, island
)

select * from final
