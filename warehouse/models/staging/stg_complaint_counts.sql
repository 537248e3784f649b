-- Reports per service and 15-minute bucket (all count sources added up), gap-filled with zeros over each
-- service's observed range, with the baseline and whether the bucket is over the spike line.
with

counts as (
    select * from raw_complaint_counts
),

rule as (
    select * from stg_spike_rule
),

per_bucket as (
    select
        service_id,
        bucket_start,
        cast(sum(reports) as bigint) as reports,
        -- a supplied baseline is used only when every source of the bucket supplied one
        case when count(baseline) = count(*) then sum(baseline) end as supplied_baseline,
        string_agg(distinct source_id, ',' order by source_id) as source_ids
    from counts
    group by service_id, bucket_start
),

ranges as (
    select service_id, min(bucket_start) as first_bucket, max(bucket_start) as last_bucket
    from per_bucket
    group by service_id
),

grid as (
    select
        ranges.service_id,
        unnest(generate_series(ranges.first_bucket, ranges.last_bucket, rule.bucket_width)) as bucket_start
    from ranges
    cross join rule
),

filled as (
    select
        grid.service_id,
        grid.bucket_start,
        coalesce(per_bucket.reports, 0) as reports,
        per_bucket.supplied_baseline,
        per_bucket.source_ids,
        extract(hour from grid.bucket_start) * 4 + extract(minute from grid.bucket_start) // 15 as slot_of_day
    from grid
    left join per_bucket using (service_id, bucket_start)
),

history as (
    select
        *,
        median(reports) over slot_history as slot_median,
        count(reports) over slot_history as slot_days
    from filled
    window slot_history as (
        partition by service_id, slot_of_day order by bucket_start
        rows between 28 preceding and 1 preceding
    )
),

baselined as (
    select
        history.*,
        coalesce(
            supplied_baseline,
            case when slot_days >= rule.min_history then slot_median end
        ) as baseline,
        rule.ratio,
        rule.floor_reports,
        rule.rule_name
    from history
    cross join rule
),

flagged as (
    select
        *,
        coalesce(baseline is not null
            and reports >= ratio * greatest(baseline, 1)
            and reports >= floor_reports, false) as over_line
    from baselined
),

final as (
    select
        service_id,
        bucket_start,
        reports,
        baseline,
        over_line,
        -- sustained: this bucket and its neighbour before or after are both over the line (min_buckets = 2)
        over_line and (
            coalesce(lag(over_line) over by_time, false) or coalesce(lead(over_line) over by_time, false)
        ) as is_spike,
        source_ids,
        rule_name
    from flagged
    window by_time as (partition by service_id order by bucket_start)
)

select * from final
