-- Reports per service and bucket, per source and in total (source_id '*'): count sources and counted complaint posts
-- added up, gap-filled with zeros over each series' observed range, with the baseline and the spike line.
with

counts as (
    select * from raw_complaint_counts
),

complaints as (
    select * from stg_complaints where counted
),

rule as (
    select * from stg_spike_rule
),

readings as (
    select source_id, service_id, time_bucket(rule.bucket_width, bucket_start) as bucket_start, reports, baseline
    from counts
    cross join rule
    union all
    select source_id, service_id, time_bucket(rule.bucket_width, posted_at), 1, null
    from complaints
    cross join rule
),

per_source as (
    select
        service_id,
        source_id,
        bucket_start,
        cast(sum(reports) as bigint) as reports,
        sum(baseline) as supplied_baseline,
        count(baseline) = count(*) as fully_supplied
    from readings
    group by all
),

per_bucket as (
    select
        service_id,
        source_id,
        bucket_start,
        reports,
        case when fully_supplied then supplied_baseline end as supplied_baseline,
        source_id as source_ids
    from per_source
    union all
    select
        service_id,
        '*' as source_id,
        bucket_start,
        cast(sum(reports) as bigint),
        -- a supplied baseline is used only when every reading of the bucket supplied one
        case when bool_and(fully_supplied) then sum(supplied_baseline) end,
        string_agg(source_id, ',' order by source_id)
    from per_source
    group by service_id, bucket_start
),

ranges as (
    select service_id, source_id, min(bucket_start) as first_bucket, max(bucket_start) as last_bucket
    from per_bucket
    group by all
),

grid as (
    select
        ranges.service_id,
        ranges.source_id,
        unnest(generate_series(ranges.first_bucket, ranges.last_bucket, rule.bucket_width)) as bucket_start
    from ranges
    cross join rule
),

filled as (
    select
        grid.service_id,
        grid.source_id,
        grid.bucket_start,
        coalesce(per_bucket.reports, 0) as reports,
        per_bucket.supplied_baseline,
        per_bucket.source_ids,
        cast(epoch(grid.bucket_start) % 86400 // (rule.bucket_minutes * 60) as integer) as slot_of_day,
        dayofweek(grid.bucket_start) as weekday
    from grid
    cross join rule
    left join per_bucket using (service_id, source_id, bucket_start)
),

first_pass as (
    -- a plain time-of-day median, only to leave earlier outages out of the real baseline
    select
        *,
        median(reports) over (
            partition by service_id, source_id, slot_of_day order by bucket_start
            rows between 28 preceding and 1 preceding
        ) as rough_baseline
    from filled
),

marked as (
    select
        first_pass.*,
        coalesce(reports >= rule.ratio * greatest(rough_baseline, 1) and reports >= rule.floor_reports, false)
            as roughly_over
    from first_pass
    cross join rule
),

history as (
    select
        *,
        median(reports) filter (where not roughly_over) over same_slot as slot_median,
        mad(reports) filter (where not roughly_over) over same_slot as slot_mad,
        count(reports) filter (where not roughly_over) over same_slot as slot_days,
        median(reports) filter (where not roughly_over) over same_weekday as weekday_median,
        mad(reports) filter (where not roughly_over) over same_weekday as weekday_mad,
        count(reports) filter (where not roughly_over) over same_weekday as weekday_weeks
    from marked
    window
        same_slot as (
            partition by service_id, source_id, slot_of_day order by bucket_start
            rows between 28 preceding and 1 preceding
        ),
        same_weekday as (
            partition by service_id, source_id, slot_of_day, weekday order by bucket_start
            rows between 8 preceding and 1 preceding
        )
),

baselined as (
    select
        history.*,
        case
            when supplied_baseline is not null then supplied_baseline
            when weekday_weeks >= rule.min_history then weekday_median
            when slot_days >= rule.min_history then slot_median
        end as baseline,
        case
            when supplied_baseline is not null then 0
            when weekday_weeks >= rule.min_history then weekday_mad
            when slot_days >= rule.min_history then slot_mad
        end as baseline_mad,
        case
            when supplied_baseline is not null then 'supplied'
            when weekday_weeks >= rule.min_history then 'weekday'
            when slot_days >= rule.min_history then 'time_of_day'
            else 'insufficient'
        end as baseline_quality,
        rule.ratio,
        rule.z,
        rule.floor_reports,
        rule.rule_name
    from history
    cross join rule
),

flagged as (
    select
        *,
        coalesce(
            baseline is not null
            and reports >= ratio * greatest(baseline, 1)
            and reports >= baseline + z * greatest(1.4826 * baseline_mad, sqrt(greatest(baseline, 0)), 1)
            and reports >= floor_reports,
            false
        ) as over_line
    from baselined
),

final as (
    select
        service_id,
        source_id,
        bucket_start,
        reports,
        baseline,
        baseline_quality,
        over_line,
        -- sustained: this bucket and its neighbour before or after are both over the line (min_buckets = 2)
        over_line and (
            coalesce(lag(over_line) over by_time, false) or coalesce(lead(over_line) over by_time, false)
        ) as is_spike,
        source_ids,
        rule_name
    from flagged
    window by_time as (partition by service_id, source_id order by bucket_start)
)

select * from final
