-- One row per complaint spike: a run of consecutive spike buckets of one service.
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

spikes as (
    select
        service_id,
        min(bucket_start) as started_at,
        max(bucket_start) + any_value(bucket_width) as ended_at,
        arg_max(bucket_start, reports) as peak_at,
        max(reports) as peak_reports,
        arg_max(baseline, reports) as baseline_at_peak,
        count(*) as buckets,
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
