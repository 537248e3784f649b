-- Reports per service and bucket, per source and in total (source_id '*'): count sources and counted complaint posts
-- added up over each series' observed range, with the baseline and the spike line. A bucket is covered when the
-- series' sources read all of it (stg_spike_rule): a covered bucket without readings has 0 reports, an uncovered one
-- NULL — it enters no baseline and is never over the line. A total ('*') is covered when every source whose range
-- holds the bucket covered it.
--
-- Materialized as a table (warehouse/models/__init__.py): this query computes the series named in the temporary
-- table complaint_refresh_scope (service_id, source_id, since), each from the bucket before its `since` (NULL: from
-- its first bucket; a row without a source: every series of its service), reading refresh_lookback further back so
-- every bucket it writes sees its whole history. A service's series read only that service's readings: only the
-- services the scope names are read. That table is its one input besides the views:
-- refresh/complaint_refresh_everything.sql (a full refresh, a batch of services at a time) or
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

fetches as (
    select * from raw_fetches
),

ingest_errors as (
    select * from raw_ingest_errors
),

rule as (
    select * from stg_spike_rule
),

read_windows as (
    -- the window each read of a post source asked for (since/until, or a window of epoch seconds), kept when
    -- every read of that source in the run succeeded and parsed
    select source_id, read_from, read_until
    from (
        select
            fetches.run_id,
            fetches.source_id,
            read_window(fetches.meta).read_from as read_from,
            read_window(fetches.meta).read_until as read_until,
            bool_and(fetches.error is null and fetches.http_status in (200, 304)) over (
                partition by fetches.run_id, fetches.source_id
            ) as run_read
        from fetches
        anti join ingest_errors using (run_id, source_id)
    ) as reads
    where run_read and read_until > read_from
),

post_coverage as (
    -- the read windows of each post source merged where they touch or overlap
    select source_id, min(read_from) as covered_from, max(read_until) as covered_until
    from (
        select *, sum(starts_island) over (partition by source_id order by read_from, read_until) as island
        from (
            select
                *,
                coalesce(
                    read_from > max(read_until) over (
                        partition by source_id order by read_from, read_until
                        rows between unbounded preceding and 1 preceding
                    ),
                    true
                )::integer as starts_island
            from read_windows
        )
    )
    group by source_id, island
),

readings as (
    -- the series of a service read its readings only: those of the services the scope names
    select
        source_id,
        service_id,
        time_bucket(rule.bucket_width, bucket_start) as bucket_start,
        reports,
        baseline,
        false as from_posts
    from counts
    cross join rule
    where counts.service_id in (select scope.service_id from scope)
    union all
    select source_id, service_id, time_bucket(rule.bucket_width, posted_at), 1, null, true
    from complaints
    cross join rule
    where complaints.service_id in (select scope.service_id from scope)
),

source_ranges as (
    -- a post source's series of a service starts trailing_hours before its first counted post (not before the
    -- source's first read): the buckets it read and found no complaint in are zeros, and a baseline to judge by
    select
        read.service_id,
        read.source_id,
        case
            when not read.from_posts or started.first_full_bucket is null then read.first_bucket
            else least(
                read.first_bucket,
                greatest(read.first_bucket - to_hours(rule.trailing_hours), started.first_full_bucket)
            )
        end as first_bucket,
        read.last_bucket,
        read.from_posts
    from (
        select
            service_id,
            source_id,
            min(bucket_start) as first_bucket,
            max(bucket_start) as last_bucket,
            bool_or(from_posts) as from_posts
        from readings
        group by service_id, source_id
    ) as read
    cross join rule
    left join (
        select
            post_coverage.source_id,
            min(time_bucket(rule.bucket_width, post_coverage.covered_from + rule.bucket_width - interval 1 microsecond))
                as first_full_bucket
        from post_coverage
        cross join rule
        group by post_coverage.source_id
    ) as started on started.source_id = read.source_id
),

source_numbers as (
    -- each (service, source) read, numbered
    select
        row_number() over (order by service_id, source_id) as source_number,
        service_id,
        source_id,
        first_bucket,
        last_bucket
    from source_ranges
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
        count(baseline) = count(*) as fully_supplied,
        bool_or(from_posts) as from_posts
    from readings
    where readings.bucket_start >= (select bucket_start from earliest_read)
    group by all
),

count_islands as (
    -- a count source's rows at most count_gap_minutes apart cover the stretch between them: an island of coverage
    -- starts at a row after a longer silence (or at the first row) and ends at a row before one (or at the last)
    select *
    from (
        select
            neighbours.service_id,
            neighbours.source_id,
            neighbours.bucket_start,
            -- in microseconds: an interval from subtracting two times is normalized for every comparison
            coalesce(
                epoch_us(neighbours.bucket_start) - epoch_us(neighbours.previous_bucket)
                    > rule.count_gap_minutes * 60000000::bigint,
                true
            ) as starts_island,
            coalesce(
                epoch_us(neighbours.next_bucket) - epoch_us(neighbours.bucket_start)
                    > rule.count_gap_minutes * 60000000::bigint,
                true
            ) as ends_island
        from (
            -- the window sorts these three columns only (the rule is joined after it)
            select
                service_id,
                source_id,
                bucket_start,
                lag(bucket_start) over by_series as previous_bucket,
                lead(bucket_start) over by_series as next_bucket
            from per_source
            where not from_posts
            window by_series as (partition by service_id, source_id order by bucket_start)
        ) as neighbours
        cross join rule
    ) as marked_rows
    where starts_island or ends_island
),

count_coverage as (
    -- each island's first row with the last row of the same island: the next island end at or after it
    select
        service_id,
        source_id,
        bucket_start as covered_from,
        lead(bucket_start) over by_series + rule.bucket_width as covered_until
    from (
        -- a one-row island is both: its start and its end, in that order
        select service_id, source_id, bucket_start, 0 as edge from count_islands where starts_island
        union all
        select service_id, source_id, bucket_start, 1 from count_islands where ends_island
    ) as edges
    cross join rule
    window by_series as (partition by service_id, source_id order by bucket_start, edge)
    qualify edge = 0
),

coverage as (
    -- keyed by the source's number: the joins below compare one integer, not two names
    select source_numbers.source_number, covered.covered_from, covered.covered_until
    from (
        select service_id, source_id, covered_from, covered_until from count_coverage
        union all
        select
            source_ranges.service_id, post_coverage.source_id, post_coverage.covered_from, post_coverage.covered_until
        from post_coverage
        join source_ranges on source_ranges.source_id = post_coverage.source_id and source_ranges.from_posts
    ) as covered
    join source_numbers using (service_id, source_id)
),

targets as (
    -- the buckets each refreshed series writes (from write_from) and reads (from read_from)
    select
        row_number() over (order by ranges.service_id, ranges.source_id) as series,
        ranges.service_id,
        ranges.source_id,
        ranges.only_source,
        -- NULL for a total
        source_numbers.source_number,
        ranges.last_bucket,
        greatest(ranges.first_bucket, refresh.write_from) as write_from,
        greatest(ranges.first_bucket, refresh.write_from - rule.refresh_lookback) as read_from
    from ranges
    cross join rule
    join scope
        -- a scope row without a source covers every series of its service (a full refresh)
        on scope.service_id = ranges.service_id and coalesce(scope.source_id = ranges.source_id, true)
    cross join lateral (
        select coalesce(time_bucket(rule.bucket_width, scope.since) - rule.bucket_width, ranges.first_bucket)
            as write_from
    ) as refresh
    left join source_numbers
        on source_numbers.service_id = ranges.service_id and source_numbers.source_id = ranges.source_id
    where not ranges.copied
),

per_bucket as (
    -- the readings of each refreshed series, keyed by its number
    select
        targets.series,
        per_source.bucket_start,
        per_source.reports,
        case when per_source.fully_supplied then per_source.supplied_baseline end as supplied_baseline,
        per_source.source_id as source_ids
    from per_source
    join targets
        -- a source's own series; the total of a service read from one source is that source's readings as they are
        on targets.service_id = per_source.service_id
        and (targets.source_id = per_source.source_id or targets.only_source = per_source.source_id)
    union all
    select
        targets.series,
        per_source.bucket_start,
        cast(sum(per_source.reports) as bigint),
        -- a supplied baseline is used only when every reading of the bucket supplied one
        case when bool_and(per_source.fully_supplied) then sum(per_source.supplied_baseline) end,
        array_to_string(list_sort(list(per_source.source_id)), ',')
    from per_source
    join targets
        on targets.service_id = per_source.service_id and targets.source_id = '*' and targets.only_source is null
    group by targets.series, per_source.bucket_start
),

grid as (
    select
        targets.series,
        targets.source_number,
        unnest(generate_series(targets.read_from, targets.last_bucket, rule.bucket_width)) as bucket_start
    from targets
    cross join rule
),

total_sources as (
    -- the sources of each refreshed total, with the range each reads
    select targets.series, source_numbers.source_number, source_numbers.first_bucket, source_numbers.last_bucket
    from targets
    join source_numbers using (service_id)
    where targets.source_id = '*'
),

series_coverage as (
    -- every bucket of the grid once (filled reads it as the grid). A source's own series: covered when one of its
    -- covered stretches holds the whole bucket
    select grid.series, grid.bucket_start, coalesce(coverage.covered_until >= grid.bucket_start + rule.bucket_width, false)
        as covered
    from grid
    cross join rule
    asof left join coverage
        on coverage.source_number = grid.source_number
        and coverage.covered_from <= grid.bucket_start
    where grid.source_number is not null
    union all
    -- a total: covered when every source whose range holds the bucket covered it
    select
        grid.series,
        grid.bucket_start,
        coalesce(bool_and(coalesce(coverage.covered_until >= grid.bucket_start + rule.bucket_width, false)), false)
    from grid
    cross join rule
    left join total_sources
        on total_sources.series = grid.series
        and grid.bucket_start between total_sources.first_bucket and total_sources.last_bucket
    asof left join coverage
        on coverage.source_number = total_sources.source_number
        and coverage.covered_from <= grid.bucket_start
    where grid.source_number is null
    group by grid.series, grid.bucket_start
),

filled as (
    -- from here on a series is its number: the windows below sort and move narrow rows. series_coverage has one row
    -- per bucket of the grid, so it is the grid here (one join fewer).
    select
        series_coverage.series,
        series_coverage.bucket_start,
        series_coverage.covered,
        case when series_coverage.covered then coalesce(per_bucket.reports, 0) end as reports,
        per_bucket.supplied_baseline,
        per_bucket.source_ids,
        cast(epoch(series_coverage.bucket_start) % 86400 // (rule.bucket_minutes * 60) as integer) as slot_of_day
    from series_coverage
    cross join rule
    left join per_bucket using (series, bucket_start)
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
        weekday_stats.* exclude (weekday_values, weekday_weeks),
        -- the spread matters only to a bucket at or over both other lines of a weekday baseline (flagged): below
        -- either it is not over the line whatever the spread, so it is computed for those few buckets only
        case
            when weekday_stats.reports >= rule.ratio * greatest(weekday_stats.weekday_median, 1)
                and weekday_stats.reports >= rule.floor_reports
                then list_mad(weekday_stats.weekday_values)
        end as weekday_mad,
        weekday_stats.weekday_weeks
    from (
        select *, list_median(weekday_values) as weekday_median, len(weekday_values) as weekday_weeks
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
        ) as lagged
    ) as weekday_stats
    cross join rule
),

needing_slot as (
    -- buckets with too few weeks of weekday history (a series' first weeks) fall back to the same slot of the day
    select weekday_history.series, weekday_history.bucket_start
    from weekday_history
    cross join rule
    where weekday_history.weekday_weeks < rule.min_history and weekday_history.supplied_baseline is null
),

slot_history as (
    -- the same slot on each of the previous 28 days (baseline_days): in a gap-filled series the same slot 1 to 28 rows
    -- back, windowed only over each series up to its last bucket that needs it (rows after it are in no frame)
    select windowed.series, windowed.bucket_start, windowed.slot_median, windowed.slot_mad, windowed.slot_days
    from (
        select
            marked.series,
            marked.bucket_start,
            median(marked.usable_reports) over previous_days as slot_median,
            mad(marked.usable_reports) over previous_days as slot_mad,
            count(marked.usable_reports) over previous_days as slot_days
        from marked
        join (
            select series, max(bucket_start) as last_needing from needing_slot group by series
        ) as slot_span on slot_span.series = marked.series and marked.bucket_start <= slot_span.last_needing
        window previous_days as (
            partition by marked.series, marked.slot_of_day order by marked.bucket_start
            rows between 28 preceding and 1 preceding
        )
    ) as windowed
    semi join needing_slot using (series, bucket_start)
),

history as (
    -- the few buckets that needed it get their time-of-day history (slot_history holds those only)
    select
        weekday_history.*,
        slot_history.slot_median,
        slot_history.slot_mad,
        coalesce(slot_history.slot_days, 0) as slot_days
    from weekday_history
    left join slot_history using (series, bucket_start)
),

trailing_span as (
    -- the series with buckets that have neither weekday nor time-of-day history (a series' first days, a one-day
    -- import), up to the last such bucket: the trailing baseline is computed there only
    select history.series, max(history.bucket_start) as last_needing
    from history
    cross join rule
    where history.supplied_baseline is null
        and history.weekday_weeks < rule.min_history
        and history.slot_days < rule.min_history
    group by history.series
),

trailing_first_pass as (
    -- a plain median of the previous trailing_hours, only to leave the buckets roughly over the line out
    select
        marked.series,
        marked.bucket_start,
        marked.reports,
        median(marked.reports) over (
            partition by marked.series order by marked.bucket_start
            rows between rule.trailing_hours * 60 // rule.bucket_minutes preceding and 1 preceding
        ) as rough_trailing
    from marked
    join trailing_span on trailing_span.series = marked.series and marked.bucket_start <= trailing_span.last_needing
    cross join rule
),

trailing_history as (
    select
        series,
        bucket_start,
        median(usable) over last_hours as trailing_median,
        mad(usable) over last_hours as trailing_mad,
        count(usable) over last_hours as trailing_buckets
    from (
        select
            trailing_first_pass.*,
            case
                when coalesce(
                    reports >= rule.ratio * greatest(rough_trailing, 1) and reports >= rule.floor_reports, false
                ) then null
                else reports
            end as usable
        from trailing_first_pass
        cross join rule
    ) as marked_trailing
    cross join rule
    window last_hours as (
        partition by series order by bucket_start
        rows between rule.trailing_hours * 60 // rule.bucket_minutes preceding and 1 preceding
    )
),

baselined as (
    select
        history.*,
        case
            when supplied_baseline is not null then supplied_baseline
            when weekday_weeks >= rule.min_history then weekday_median
            when slot_days >= rule.min_history then slot_median
            when trailing_history.trailing_buckets >= rule.trailing_min_buckets then trailing_history.trailing_median
        end as baseline,
        case
            when supplied_baseline is not null then 0
            when weekday_weeks >= rule.min_history then weekday_mad
            when slot_days >= rule.min_history then slot_mad
            when trailing_history.trailing_buckets >= rule.trailing_min_buckets then trailing_history.trailing_mad
        end as baseline_mad,
        case
            when supplied_baseline is not null then 'supplied'
            when weekday_weeks >= rule.min_history then 'weekday'
            when slot_days >= rule.min_history then 'time_of_day'
            when trailing_history.trailing_buckets >= rule.trailing_min_buckets then 'trailing'
            else 'insufficient'
        end as baseline_quality,
        rule.ratio,
        rule.z,
        rule.floor_reports
    from history
    cross join rule
    left join trailing_history using (series, bucket_start)
),

flagged as (
    select
        *,
        -- NULL for an uncovered bucket: not known to be over the line, nor under it
        case when reports is not null then coalesce(
            baseline is not null
            and reports >= ratio * greatest(baseline, 1)
            and reports >= baseline + z * greatest(1.4826 * baseline_mad, sqrt(greatest(baseline, 0)), 1)
            and reports >= floor_reports,
            false
        ) end as over_line
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
        -- sustained: this bucket and its neighbour before or after are both over the line (min_buckets = 2); NULL
        -- when the bucket is uncovered
        case when over_line is not null then over_line and (
            coalesce(lag(over_line) over by_time, false) or coalesce(lead(over_line) over by_time, false)
        ) end as is_spike,
        source_ids,
        covered
    from flagged
    window by_time as (partition by series order by bucket_start)
),

written as (
    select
        targets.service_id,
        targets.source_id,
        targets.only_source,
        sustained.bucket_start,
        sustained.reports,
        sustained.baseline,
        sustained.baseline_quality,
        sustained.over_line,
        sustained.is_spike,
        sustained.source_ids,
        -- the same for every row: joined after the windows, not sorted with them
        rule.rule_name,
        sustained.covered
    from sustained
    join targets using (series)
    cross join rule
    where sustained.bucket_start >= targets.write_from
),

final as (
    select * exclude (only_source) from written
    union all
    -- the one source's own series of a service read from one source is its total
    select * exclude (only_source) replace (only_source as source_id) from written where only_source is not null
)

select * from final
