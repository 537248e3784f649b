-- Reports per service and bucket, per source and in total (source_id '*'): count sources and counted complaint posts
-- added up, gap-filled with zeros over each series' observed range, with the baseline and the spike line.
--
-- Materialized as a table (warehouse/models/__init__.py): this query computes the series named in the temporary
-- table complaint_refresh_scope (service_id, source_id, since), each from the bucket before its `since` (NULL: from
-- its first bucket), reading refresh_lookback further back so every bucket it writes sees its whole history. That
-- table is its one input besides the views: refresh/complaint_refresh_everything.sql (a full refresh) or
-- refresh/complaint_refresh_scope.sql (the series a load changed) fills it before each refresh (SCOPE_TABLE).
with

scope as (
    select * from complaint_refresh_scope
),

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

source_ranges as (
    select service_id, source_id, min(bucket_start) as first_bucket, max(bucket_start) as last_bucket
    from readings
    group by all
),

ranges as (
    select
        service_id,
        source_id,
        first_bucket,
        last_bucket,
        -- a service read from one source only: its total is that source's series, computed once and copied
        count(*) over by_service = 1 as copied,
        null as only_source
    from source_ranges
    window by_service as (partition by service_id)
    union all
    select
        service_id,
        '*',
        min(first_bucket),
        max(last_bucket),
        false,
        case when count(*) = 1 then any_value(source_id) end
    from source_ranges
    group by service_id
),

earliest_read as (
    -- no refresh reads before this bucket (a full one reads everything)
    select coalesce(min(time_bucket(rule.bucket_width, scope.since)), '-infinity'::timestamptz)
        - rule.bucket_width - rule.refresh_lookback as bucket_start
    from scope
    cross join rule
    group by rule.bucket_width, rule.refresh_lookback
),

per_source as (
    select
        service_id,
        source_id,
        readings.bucket_start,
        cast(sum(reports) as bigint) as reports,
        sum(baseline) as supplied_baseline,
        count(baseline) = count(*) as fully_supplied
    from readings
    where readings.bucket_start >= (select bucket_start from earliest_read)
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
        array_to_string(list_sort(list(source_id)), ',')
    from per_source
    group by service_id, bucket_start
),

targets as (
    -- the buckets each refreshed series writes (from write_from) and reads (from read_from)
    select
        row_number() over (order by ranges.service_id, ranges.source_id) as series,
        ranges.service_id,
        ranges.source_id,
        ranges.only_source,
        ranges.last_bucket,
        greatest(ranges.first_bucket, refresh.write_from) as write_from,
        greatest(ranges.first_bucket, refresh.write_from - rule.refresh_lookback) as read_from
    from ranges
    cross join rule
    join scope
        -- a scope row without a service covers every series (a full refresh)
        on scope.service_id is null or (scope.service_id = ranges.service_id and scope.source_id = ranges.source_id)
    cross join lateral (
        select coalesce(time_bucket(rule.bucket_width, scope.since) - rule.bucket_width, ranges.first_bucket)
            as write_from
    ) as refresh
    where not ranges.copied
),

grid as (
    select
        targets.series,
        targets.service_id,
        targets.source_id,
        unnest(generate_series(targets.read_from, targets.last_bucket, rule.bucket_width)) as bucket_start
    from targets
    cross join rule
),

filled as (
    -- from here on a series is its number: the windows below sort and move narrow rows
    select
        grid.series,
        grid.bucket_start,
        coalesce(per_bucket.reports, 0) as reports,
        per_bucket.supplied_baseline,
        per_bucket.source_ids,
        cast(epoch(grid.bucket_start) % 86400 // (rule.bucket_minutes * 60) as integer) as slot_of_day
    from grid
    cross join rule
    left join per_bucket using (service_id, source_id, bucket_start)
),

first_pass as (
    -- a plain time-of-day median, only to leave earlier outages out of the real baseline
    select
        *,
        median(reports) over (
            partition by series, slot_of_day order by bucket_start
            rows between 28 preceding and 1 preceding
        ) as rough_baseline
    from filled
),

marked as (
    select
        first_pass.*,
        -- the reports of a bucket that may enter a later baseline: NULL when it was roughly over the line
        case
            when coalesce(reports >= rule.ratio * greatest(rough_baseline, 1) and reports >= rule.floor_reports, false)
                then null
            else reports
        end as usable_reports
    from first_pass
    cross join rule
),

weekday_history as (
    -- The same slot on the same weekday over the previous 8 weeks: in a gap-filled series, the same slot 7, 14, ...
    -- 56 rows back. List functions over those 8 are far cheaper than a window partitioned by weekday.
    select
        * exclude (weekday_values),
        list_median(weekday_values) as weekday_median,
        list_mad(weekday_values) as weekday_mad,
        len(weekday_values) as weekday_weeks
    from (
        select
            *,
            list_filter(
                [
                    lag(usable_reports, 7) over by_slot, lag(usable_reports, 14) over by_slot,
                    lag(usable_reports, 21) over by_slot, lag(usable_reports, 28) over by_slot,
                    lag(usable_reports, 35) over by_slot, lag(usable_reports, 42) over by_slot,
                    lag(usable_reports, 49) over by_slot, lag(usable_reports, 56) over by_slot
                ],
                lambda reports: reports is not null
            ) as weekday_values
        from marked
        window by_slot as (partition by series, slot_of_day order by bucket_start)
    )
),

needing_slot as (
    -- buckets with too few weeks of weekday history (a series' first weeks) fall back to the same slot of the day
    select weekday_history.series, weekday_history.bucket_start
    from weekday_history
    cross join rule
    where weekday_history.weekday_weeks < rule.min_history and weekday_history.supplied_baseline is null
),

slot_lookups as materialized (
    -- the same slot on each of the previous 28 days (baseline_days): looked up for these buckets only, rather than
    -- windowed over every bucket (materialized so the join below is on the looked-up bucket, not the series alone).
    -- A day back is 86,400 s, as slot_of_day counts it, in microseconds: timestamptz minus an interval goes through
    -- the calendar and costs 6x more over these millions of rows.
    select
        needing_slot.series,
        needing_slot.bucket_start,
        make_timestamptz(epoch_us(needing_slot.bucket_start) - days_back.microseconds) as earlier
    from needing_slot
    cross join (select range * 86400000000 as microseconds from range(1, 29)) as days_back
),

slot_history as (
    select
        slot_lookups.series,
        slot_lookups.bucket_start,
        median(marked.usable_reports) as slot_median,
        mad(marked.usable_reports) as slot_mad,
        count(marked.usable_reports) as slot_days
    from slot_lookups
    join marked on marked.series = slot_lookups.series and marked.bucket_start = slot_lookups.earlier
    group by slot_lookups.series, slot_lookups.bucket_start
),

history as (
    -- the few buckets that needed it get their time-of-day history; a union, not a join of every bucket
    select weekday_history.*, null::double as slot_median, null::double as slot_mad, 0::bigint as slot_days
    from weekday_history
    anti join needing_slot using (series, bucket_start)
    union all
    select
        weekday_history.*,
        slot_history.slot_median,
        slot_history.slot_mad,
        coalesce(slot_history.slot_days, 0) as slot_days
    from needing_slot
    join weekday_history using (series, bucket_start)
    left join slot_history using (series, bucket_start)
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

sustained as (
    select
        series,
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
    window by_time as (partition by series order by bucket_start)
),

written as (
    select
        targets.service_id,
        targets.source_id,
        targets.only_source,
        sustained.* exclude (series)
    from sustained
    join targets using (series)
    where sustained.bucket_start >= targets.write_from
),

final as (
    select * exclude (only_source) from written
    union all
    -- the one source's own series of a service read from one source is its total
    select * exclude (only_source) replace (only_source as source_id) from written where only_source is not null
)

select * from final
