-- One row per complaint spike of one service: its spike buckets (runs of buckets over the line), joined across dips of
-- at most max_dip_buckets covered buckets; uncovered buckets inside it are counted, not bridged with zeros.
with

counts as (
    select * from stg_complaint_counts where source_id = '*'
),

by_source as (
    select * from stg_complaint_counts where source_id <> '*'
),

rule as (
    select * from stg_spike_rule
),

marks as (
    -- the spike buckets and the uncovered buckets of each service, with how many uncovered ones came so far
    select
        service_id,
        bucket_start,
        reports,
        baseline,
        is_spike,
        source_ids,
        rule_name,
        count(*) filter (where not covered) over (
            partition by service_id order by bucket_start rows between unbounded preceding and current row
        ) as uncovered_so_far
    from counts
    where is_spike or not covered
),

dipped as (
    -- each spike bucket with the dip before it: the covered buckets since the previous spike bucket that are not
    -- spike buckets (an uncovered bucket is neither a dip nor part of the spike)
    select
        marks.*,
        rule.bucket_width,
        rule.max_dip_buckets,
        cast(round(epoch(bucket_start - lag(bucket_start) over by_time) / epoch(rule.bucket_width)) as bigint) - 1
            - (uncovered_so_far - lag(uncovered_so_far) over by_time) as dip
    from marks
    cross join rule
    where is_spike
    window by_time as (partition by service_id order by bucket_start)
),

numbered as (
    -- a spike continues through a dip of at most max_dip_buckets buckets; a longer one starts the next
    select
        *,
        coalesce(dip > max_dip_buckets, true) as starts_spike,
        sum(coalesce(dip > max_dip_buckets, true)::integer) over (
            partition by service_id order by bucket_start rows between unbounded preceding and current row
        ) as island
    from dipped
),

spikes as (
    select
        service_id,
        min(bucket_start) as started_at,
        max(bucket_start) + any_value(bucket_width) as ended_at,
        arg_max(bucket_start, reports) as peak_at,
        max(reports) as peak_reports,
        arg_max(baseline, reports) as baseline_at_peak,
        count(*) as buckets,
        count(*) filter (where not starts_spike and dip > 0) as dips,
        cast(coalesce(sum(dip) filter (where not starts_spike and dip > 0), 0) as bigint) as dip_buckets,
        max(uncovered_so_far) - min(uncovered_so_far) as uncovered_buckets,
        array_to_string(list_sort(list_distinct(flatten(list(string_split(source_ids, ','))))), ',') as source_ids,
        any_value(rule_name) as spike_rule
    from numbered
    group by service_id, island
),

agreement as (
    -- the sources whose own series was over the line during the spike
    select
        spikes.service_id,
        spikes.started_at,
        string_agg(distinct by_source.source_id, ',' order by by_source.source_id) as sources_agreed
    from spikes
    join by_source
        on by_source.service_id = spikes.service_id
        and by_source.bucket_start >= spikes.started_at
        and by_source.bucket_start < spikes.ended_at
        and by_source.over_line
    group by all
),

final as (
    select spikes.*, agreement.sources_agreed
    from spikes
    left join agreement using (service_id, started_at)
)

select * from final
